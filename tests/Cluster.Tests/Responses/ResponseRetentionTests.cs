using Cluster.Grains;
using Cluster.Grains.Responses;
using Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Cluster.Tests.Responses;

/// <summary>The retention sweep on the shared fake clock: a response past its retention is deleted from grain storage, not only hidden.</summary>
[Collection(FakeTimeClusterFixture.Name)]
public sealed class ResponseRetentionTests(FakeTimeClusterFixture fixture)
{
    [Fact]
    public async Task SweepAsync_RetentionPassed_DeletesExpiredFromStorageAndKeepsTheRest()
    {
        var grains = fixture.SiloGrainFactories[0];
        var now = fixture.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var day = (long)TimeSpan.FromDays(1).TotalMilliseconds;
        var expiring = await StoreAsync(grains, now, now + day);
        var kept = await StoreAsync(grains, now, now + (10 * day));

        fixture.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromHours(1));
        var deleted = await grains.GetGrain<IResponseRetentionGrain>(0).SweepAsync(fixture.Time.GetUtcNow().ToUnixTimeMilliseconds());

        // At least this one: the root is shared by the collection, and other tests' expired responses count too.
        Assert.True(deleted >= 1, $"The sweep reported {deleted} responses gone.");
        Assert.False(await ExistsInStorageAsync(grains.GetGrain<IResponseGrain>(expiring)));
        Assert.True(await ExistsInStorageAsync(grains.GetGrain<IResponseGrain>(kept)));
        Assert.NotNull(await grains.GetGrain<IResponseGrain>(kept).GetAsync("tenant"));
    }

    [Fact]
    public async Task GetAsync_RetentionPassed_AbsentAndDeletedFromStorage()
    {
        var grains = fixture.SiloGrainFactories[1];
        var now = fixture.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var id = await StoreAsync(grains, now, now + 1000);
        var grain = grains.GetGrain<IResponseGrain>(id);
        Assert.NotNull(await grain.GetAsync("tenant"));

        fixture.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.Null(await grain.GetAsync("tenant"));
        Assert.False(await ExistsInStorageAsync(grain));
    }

    [Fact]
    public async Task SweepAsync_BucketWrittenInParts_DeletesEveryResponseAndEveryRow()
    {
        var grains = fixture.SiloGrainFactories[0];
        var now = fixture.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var expiresMs = now + (long)TimeSpan.FromDays(2).TotalMilliseconds;
        var hour = IResponseExpiryGrain.HourOf(expiresMs);
        var bucket = grains.GetGrain<IResponseExpiryGrain>(IResponseExpiryGrain.KeyOf(hour, 7));
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);

        // A bucket written before parts existed: its ids in the one row "expiry".
        var legacyId = await StoreResponseAsync(grains, now, expiresMs);
        var legacy = new GrainState<ResponseExpiryState>(new ResponseExpiryState { ResponseIds = [legacyId] });
        await storage.WriteStateAsync("expiry", bucket.GetGrainId(), legacy);

        // Adds side by side (group commits), then one by one, and one sent twice.
        var ids = new List<string>();
        for (var i = 0; i < 24; i++)
        {
            ids.Add(await StoreResponseAsync(grains, now, expiresMs));
        }

        await Task.WhenAll(ids.Take(16).Select(bucket.AddAsync));
        foreach (var id in ids.Skip(16))
        {
            await bucket.AddAsync(id);
        }

        await bucket.AddAsync(ids[0]);
        await grains.GetGrain<IResponseRetentionGrain>(0).AddHourAsync(hour);

        fixture.Time.Advance(TimeSpan.FromDays(3));
        var deleted = await grains.GetGrain<IResponseRetentionGrain>(0).SweepAsync(fixture.Time.GetUtcNow().ToUnixTimeMilliseconds());

        Assert.True(deleted >= ids.Count + 1, $"The sweep reported {deleted} responses gone; this bucket alone held {ids.Count + 1}.");
        foreach (var id in ids.Append(legacyId))
        {
            Assert.False(await ExistsInStorageAsync(grains.GetGrain<IResponseGrain>(id)), $"{id} is still stored.");
        }

        foreach (var row in new[] { "expiry", "expiry-part-0", "expiry-part-1" })
        {
            var left = new GrainState<ResponseExpiryState>(new ResponseExpiryState());
            await storage.ReadStateAsync(row, bucket.GetGrainId(), left);
            Assert.False(left.RecordExists, $"The bucket's row {row} is still stored.");
        }
    }

    [Fact]
    public async Task AddAsync_PartWriteUnappliedOrItsAnswerLost_RetriedAddsStoredAndSwept()
    {
        var grains = fixture.SiloGrainFactories[1];
        var now = fixture.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var expiresMs = now + (long)TimeSpan.FromDays(5).TotalMilliseconds;
        var hour = IResponseExpiryGrain.HourOf(expiresMs);
        var bucket = grains.GetGrain<IResponseExpiryGrain>(IResponseExpiryGrain.KeyOf(hour, 11));
        var answerLost = await StoreResponseAsync(grains, now, expiresMs);
        var unapplied = await StoreResponseAsync(grains, now, expiresMs);
        var later = await StoreResponseAsync(grains, now, expiresMs);

        // The first part is written but its caller sees a timeout; the next write of that part fails unapplied.
        fixture.StorageFaults.LoseNextAnswer(bucket.GetGrainId());
        await Assert.ThrowsAsync<TimeoutException>(() => bucket.AddAsync(answerLost));
        fixture.StorageFaults.FailNextWrites(bucket.GetGrainId(), row => row.StartsWith("expiry-part-", StringComparison.Ordinal));
        await Assert.ThrowsAsync<TimeoutException>(() => bucket.AddAsync(unapplied));

        // The front-end's retry stores it (beside the part already there), and the bucket goes on.
        await bucket.AddAsync(unapplied);
        await bucket.AddAsync(later);
        await fixture.Cluster.DeactivateAsync(bucket.GetGrainId());
        await grains.GetGrain<IResponseRetentionGrain>(0).AddHourAsync(hour);

        fixture.Time.Advance(TimeSpan.FromDays(6));
        await grains.GetGrain<IResponseRetentionGrain>(0).SweepAsync(fixture.Time.GetUtcNow().ToUnixTimeMilliseconds());

        foreach (var id in new[] { answerLost, unapplied, later })
        {
            Assert.False(await ExistsInStorageAsync(grains.GetGrain<IResponseGrain>(id)), $"{id} is still stored.");
        }
    }

    [Fact]
    public async Task IndexAsync_SilosOwnWriter_BucketNotedAtTheRootAndSweptWithItsHour()
    {
        var grains = fixture.SiloGrainFactories[0];
        var silo = fixture.Cluster.Silos[0].ServiceProvider;
        var writer = silo.GetRequiredService<IResponseRecordWriter>();
        var storage = silo.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        var now = fixture.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var expiresMs = now + (long)TimeSpan.FromDays(3).TotalMilliseconds;
        var hour = IResponseExpiryGrain.HourOf(expiresMs);

        // Turns ending together, as a front-end hosting this silo writes them: record, then index entry.
        var ids = Enumerable.Range(0, 6).Select(_ => "resp_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24))).ToArray();
        await Task.WhenAll(ids.Select(async id =>
        {
            await writer.StoreAsync(id, new StoredResponse("tenant", "{}", "[]", null, id, now, expiresMs));
            await writer.IndexAsync(id, expiresMs);
        }));
        var kept = "resp_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var keptExpiresMs = now + (long)TimeSpan.FromDays(20).TotalMilliseconds;
        await writer.StoreAsync(kept, new StoredResponse("tenant", "{}", "[]", null, kept, now, keptExpiresMs));
        await writer.IndexAsync(kept, keptExpiresMs);

        // The root lists the writer's bucket of the hour, and its parts hold every id, with no grain in between.
        var root = await ReadRootAsync(storage, grains);
        var bucketKey = Assert.Single(root.Buckets[hour]);
        var bucket = grains.GetGrain<IResponseExpiryGrain>(bucketKey);
        var (rows, indexed) = await ReadPartsAsync(storage, bucket.GetGrainId());
        Assert.Equal(ids.Order(), indexed.Order());
        Assert.InRange(rows.Count, 1, ids.Length);

        fixture.Time.Advance(TimeSpan.FromDays(4));
        await grains.GetGrain<IResponseRetentionGrain>(0).SweepAsync(fixture.Time.GetUtcNow().ToUnixTimeMilliseconds());

        foreach (var id in ids)
        {
            Assert.False(await ExistsInStorageAsync(grains.GetGrain<IResponseGrain>(id)), $"{id} is still stored.");
        }

        Assert.True(await ExistsInStorageAsync(grains.GetGrain<IResponseGrain>(kept)));
        Assert.Empty((await ReadPartsAsync(storage, bucket.GetGrainId())).Rows);
        Assert.DoesNotContain(hour, (await ReadRootAsync(storage, grains)).Buckets.Keys);
    }

    private static async Task<ResponseRetentionState> ReadRootAsync(IGrainStorage storage, IGrainFactory grains)
    {
        var root = new GrainState<ResponseRetentionState>(new ResponseRetentionState());
        await storage.ReadStateAsync("retention", grains.GetGrain<IResponseRetentionGrain>(0).GetGrainId(), root);
        return root.State!;
    }

    /// <summary>The part rows of a bucket, read as the sweep reads them (in order, until the first gap), and the ids they hold.</summary>
    private static async Task<(List<string> Rows, List<string> Ids)> ReadPartsAsync(IGrainStorage storage, GrainId bucket)
    {
        var rows = new List<string>();
        var ids = new List<string>();
        while (true)
        {
            var row = "expiry-part-" + rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var part = new GrainState<ResponseExpiryState>(new ResponseExpiryState());
            await storage.ReadStateAsync(row, bucket, part);
            if (!part.RecordExists)
            {
                return (rows, ids);
            }

            rows.Add(row);
            ids.AddRange(part.State!.ResponseIds);
        }
    }

    /// <summary>Stores a response and notes it in the retention index, as the front-end does.</summary>
    private static async Task<string> StoreAsync(IGrainFactory grains, long createdMs, long expiresMs)
    {
        var id = await StoreResponseAsync(grains, createdMs, expiresMs);
        var hour = IResponseExpiryGrain.HourOf(expiresMs);
        await grains.GetGrain<IResponseExpiryGrain>(IResponseExpiryGrain.KeyOf(hour, id)).AddAsync(id);
        await grains.GetGrain<IResponseRetentionGrain>(0).AddHourAsync(hour);
        return id;
    }

    private static async Task<string> StoreResponseAsync(IGrainFactory grains, long createdMs, long expiresMs)
    {
        var id = "resp_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        await grains.GetGrain<IResponseGrain>(id).StoreAsync(new StoredResponse("tenant", "{}", "[]", null, id, createdMs, expiresMs));
        return id;
    }

    private async Task<bool> ExistsInStorageAsync(IResponseGrain grain)
    {
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        var state = new GrainState<ResponseGrainState>();
        await storage.ReadStateAsync("response", grain.GetGrainId(), state);
        return state.RecordExists && state.State?.Response is not null;
    }
}
