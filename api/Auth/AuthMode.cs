namespace Cluster.Api.Auth;

/// <summary><c>Auth:Mode</c>: whether a caller needs a known key.</summary>
public enum AuthMode
{
    /// <summary>Any or no key is tenant <c>default</c>; a known key still counts for its own tenant.</summary>
    Open,

    /// <summary>A known key is required.</summary>
    Keys,
}
