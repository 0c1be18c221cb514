using Google.Protobuf;
using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Auth;
using KvCluster.KvServer.Consensus;
using KvCluster.KvServer.Hosting;
using KvCluster.KvServer.Maintenance;
using Microsoft.Extensions.Logging;

namespace KvCluster.KvServer.Rpc;

/// <summary>etcd's Maintenance service: status, alarms, hashes, defragment and snapshots.</summary>
public sealed class MaintenanceService(IKv kv, IStoreMaintenance store, IConsensus consensus, IMembership members, LocalMember member, AuthStore auth, Quota quota, ILogger<MaintenanceService> logger)
    : Api.Maintenance.MaintenanceBase
{
    /// <summary>The etcd version we speak; clients enable 3.5 features (e.g. watch progress with id -1) from it.</summary>
    public const string EtcdVersion = "3.5.17";

    // etcd streams snapshots in 32 KiB chunks.
    private const int SnapshotChunk = 32 * 1024;

    public override Task<AlarmResponse> Alarm(AlarmRequest request, ServerCallContext context)
    {
        var response = new AlarmResponse { Header = member.Header(kv.Revision) };
        var kind = (AlarmKind)request.Alarm;
        switch (request.Action)
        {
            case AlarmRequest.Types.AlarmAction.Get:
                foreach (var a in quota.Active())
                {
                    response.Alarms.Add(new AlarmMember { MemberID = member.Id, Alarm = (AlarmType)a });
                }

                break;
            case AlarmRequest.Types.AlarmAction.Activate:
                auth.CheckAdmin(auth.UserOf(context));
                if (kind != AlarmKind.None)
                {
                    quota.Activate(kind);
                    response.Alarms.Add(new AlarmMember { MemberID = member.Id, Alarm = request.Alarm });
                }

                break;
            case AlarmRequest.Types.AlarmAction.Deactivate:
                auth.CheckAdmin(auth.UserOf(context));
                if (quota.Deactivate(kind))
                {
                    response.Alarms.Add(new AlarmMember { MemberID = member.Id, Alarm = request.Alarm });
                }

                break;
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"etcdserver: unknown alarm action {(int)request.Action}"));
        }

        return Task.FromResult(response);
    }

    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        long rev = kv.Revision;
        var status = consensus.Status;
        var response = new StatusResponse
        {
            Header = member.Header(rev),
            Version = EtcdVersion,
            DbSize = quota.DbSize(),
            DbSizeInUse = store.RecordLogBytes,
            Leader = status.Leader,
            RaftIndex = (ulong)status.CommitIndex,
            RaftTerm = status.Term,
            RaftAppliedIndex = (ulong)status.AppliedIndex,
            IsLearner = false,
        };
        foreach (var a in quota.Active())
        {
            response.Errors.Add($"memberID:{member.Id} alarm:{AlarmName(a)} ");
        }

        return Task.FromResult(response);
    }

    public override Task<HashResponse> Hash(HashRequest request, ServerCallContext context)
    {
        auth.CheckAdmin(auth.UserOf(context));
        var h = kv.HashKv(0);
        return Task.FromResult(new HashResponse { Header = member.Header(kv.Revision), Hash = h.Hash });
    }

    public override Task<HashKVResponse> HashKV(HashKVRequest request, ServerCallContext context)
    {
        auth.CheckAdmin(auth.UserOf(context));
        var h = kv.HashKv(request.Revision);
        return Task.FromResult(new HashKVResponse { Header = member.Header(kv.Revision), Hash = h.Hash, CompactRevision = h.CompactRevision });
    }

    public override async Task<DefragmentResponse> Defragment(DefragmentRequest request, ServerCallContext context)
    {
        auth.CheckAdmin(auth.UserOf(context));
        long before = store.DiskBytes;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        await store.DefragmentAsync(context.CancellationToken);
        KvServerLog.Defragmented(logger, before, store.DiskBytes, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new DefragmentResponse { Header = member.Header(kv.Revision) };
    }

    /// <summary>Streams a consistent snapshot, staged in a temporary file so the store is not held while a slow client reads.</summary>
    public override async Task Snapshot(SnapshotRequest request, IServerStreamWriter<SnapshotResponse> responseStream, ServerCallContext context)
    {
        auth.CheckAdmin(auth.UserOf(context));
        var path = Path.Combine(Path.GetTempPath(), $"kvserver-snapshot-{Guid.NewGuid():N}");
        try
        {
            long rev;
            await using (var file = File.Create(path))
            {
                rev = await store.SnapshotAsync(file, context.CancellationToken);
                await SnapshotFile.SealAsync(file, context.CancellationToken);
            }

            await using var input = File.OpenRead(path);
            long remaining = input.Length;
            var buffer = new byte[SnapshotChunk];
            var header = member.Header(rev);
            while (remaining > 0)
            {
                int n = await input.ReadAsync(buffer, context.CancellationToken);
                remaining -= n;
                await responseStream.WriteAsync(new SnapshotResponse
                {
                    Header = header,
                    RemainingBytes = (ulong)remaining,
                    Blob = ByteString.CopyFrom(buffer, 0, n),
                });
            }

            KvServerLog.SnapshotSent(logger, input.Length, rev);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Handing leadership to another member is not implemented yet: that answers Unimplemented.</summary>
    public override async Task<MoveLeaderResponse> MoveLeader(MoveLeaderRequest request, ServerCallContext context)
    {
        auth.CheckAdmin(auth.UserOf(context));
        if (request.TargetID == consensus.Status.Leader)
        {
            return new MoveLeaderResponse { Header = member.Header(kv.Revision) };
        }

        bool known = (await members.ListAsync(context.CancellationToken)).Any(m => m.ID == request.TargetID);
        throw known
            ? RpcErrors.Unimplemented("MoveLeader")
            : new RpcException(new Status(StatusCode.FailedPrecondition, "etcdserver: bad leader transferee"));
    }

    public override Task<DowngradeResponse> Downgrade(DowngradeRequest request, ServerCallContext context) =>
        throw RpcErrors.Unimplemented("Downgrade");

    private static string AlarmName(AlarmKind a) => a switch
    {
        AlarmKind.NoSpace => "NOSPACE",
        AlarmKind.Corrupt => "CORRUPT",
        _ => "NONE",
    };
}
