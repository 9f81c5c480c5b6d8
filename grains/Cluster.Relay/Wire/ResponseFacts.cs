using Cluster.Grains.Completions;

namespace Cluster.Relay.Wire;

/// <summary>What the relay learned from one response body or stream chunk while rewriting it.</summary>
internal readonly record struct ResponseFacts(TokenUsage? Usage, bool HasChoices, bool HasError, int ContentChars);
