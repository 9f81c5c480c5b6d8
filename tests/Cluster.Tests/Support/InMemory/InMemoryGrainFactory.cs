using System.Collections.Concurrent;

namespace Cluster.Tests.Support.InMemory;

/// <summary>
/// An <see cref="IGrainFactory"/> for unit tests: string-keyed grain interfaces resolve to in-memory
/// implementations (one per key, created on first use by the factory registered for the interface).
/// Everything else a real factory does is not needed by the units under test and throws.
/// </summary>
public sealed class InMemoryGrainFactory : IGrainFactory
{
    private readonly ConcurrentDictionary<Type, Func<string, IGrainWithStringKey>> _factories = new();
    private readonly ConcurrentDictionary<(Type, string), IGrainWithStringKey> _grains = new();

    /// <summary>Makes <typeparamref name="TGrain"/> resolve to <paramref name="create"/>(key), once per key.</summary>
    public InMemoryGrainFactory Register<TGrain>(Func<string, TGrain> create)
        where TGrain : IGrainWithStringKey
    {
        _factories[typeof(TGrain)] = key => create(key);
        return this;
    }

    /// <summary>The grains of one interface created so far, by key.</summary>
    public IReadOnlyDictionary<string, TGrain> Created<TGrain>()
        where TGrain : IGrainWithStringKey =>
        _grains.Where(g => g.Key.Item1 == typeof(TGrain)).ToDictionary(g => g.Key.Item2, g => (TGrain)g.Value, StringComparer.Ordinal);

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithStringKey =>
        (TGrainInterface)_grains.GetOrAdd((typeof(TGrainInterface), primaryKey), key =>
            _factories.TryGetValue(key.Item1, out var create)
                ? create(key.Item2)
                : throw new NotSupportedException($"No in-memory {typeof(TGrainInterface).Name} is registered."));

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithGuidKey => throw Unsupported();

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithIntegerKey => throw Unsupported();

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithGuidCompoundKey => throw Unsupported();

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithIntegerCompoundKey => throw Unsupported();

    public TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(IGrainObserver obj)
        where TGrainObserverInterface : IGrainObserver => throw Unsupported();

    public void DeleteObjectReference<TGrainObserverInterface>(IGrainObserver obj)
        where TGrainObserverInterface : IGrainObserver => throw Unsupported();

    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey) => throw Unsupported();

    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey) => throw Unsupported();

    public IGrain GetGrain(Type grainInterfaceType, string grainPrimaryKey) => throw Unsupported();

    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey, string keyExtension) => throw Unsupported();

    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey, string keyExtension) => throw Unsupported();

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId)
        where TGrainInterface : IAddressable => throw Unsupported();

    public IAddressable GetGrain(GrainId grainId) => throw Unsupported();

    public IAddressable GetGrain(GrainId grainId, GrainInterfaceType interfaceType) => throw Unsupported();

    public IAddressable GetGrain(Type interfaceType, IdSpan grainKey, string? grainClassNamePrefix) => throw Unsupported();

    public IAddressable GetGrain(Type interfaceType, IdSpan grainKey) => throw Unsupported();

    private static NotSupportedException Unsupported() => new("The in-memory grain factory resolves string-keyed grains only.");
}
