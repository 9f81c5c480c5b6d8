using Orleans.Concurrency;

namespace Cluster.Grains.Responses;

/// <summary>See <see cref="IResponseWriterGrain"/>: the silo's <see cref="IResponseRecordWriter"/>, for front-ends that host no silo.</summary>
[StatelessWorker]
internal sealed class ResponseWriterGrain(IResponseRecordWriter writer) : Grain, IResponseWriterGrain
{
    public Task StoreAsync(string id, StoredResponse response) => writer.StoreAsync(id, response);

    public Task IndexAsync(string id, long expiresAtMs) => writer.IndexAsync(id, expiresAtMs);
}
