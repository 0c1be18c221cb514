using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using KvCluster.KvServer.Api;
using Mvccpb = KvCluster.KvServer.Api.MvccPb;

namespace KvCluster.Kv.Bench;

/// <summary>
/// Encode and decode of the hot etcd messages, as the server sees them (kvserver's own .proto files,
/// compiled here): a put request (64-byte key, 256-byte value), a single-key range response, and a
/// watch response of 10 events.
/// </summary>
[MemoryDiagnoser]
public class ProtobufBenchmarks
{
    private readonly PutRequest _put = new()
    {
        Key = ByteString.CopyFrom(BenchStore.Key(42)),
        Value = ByteString.CopyFrom(BenchStore.Value()),
    };

    private RangeResponse _range = null!;
    private WatchResponse _watch = null!;
    private byte[] _putBytes = [];
    private byte[] _rangeBytes = [];
    private byte[] _watchBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var header = new ResponseHeader { ClusterId = 1, MemberId = 2, Revision = 123_456, RaftTerm = 3 };
        Mvccpb.KeyValue Kv(long i) => new()
        {
            Key = ByteString.CopyFrom(BenchStore.Key(i)),
            Value = ByteString.CopyFrom(BenchStore.Value()),
            CreateRevision = 1000 + i,
            ModRevision = 123_456,
            Version = 7,
        };
        _range = new RangeResponse { Header = header, Count = 1 };
        _range.Kvs.Add(Kv(42));
        _watch = new WatchResponse { Header = header, WatchId = 5 };
        for (int i = 0; i < 10; i++)
        {
            _watch.Events.Add(new Mvccpb.Event { Type = Mvccpb.Event.Types.EventType.Put, Kv = Kv(i) });
        }

        _putBytes = _put.ToByteArray();
        _rangeBytes = _range.ToByteArray();
        _watchBytes = _watch.ToByteArray();
    }

    [Benchmark]
    public byte[] EncodePutRequest() => _put.ToByteArray();

    [Benchmark]
    public PutRequest DecodePutRequest() => PutRequest.Parser.ParseFrom(_putBytes);

    [Benchmark]
    public byte[] EncodeRangeResponse() => _range.ToByteArray();

    [Benchmark]
    public RangeResponse DecodeRangeResponse() => RangeResponse.Parser.ParseFrom(_rangeBytes);

    [Benchmark]
    public byte[] EncodeWatchResponse10Events() => _watch.ToByteArray();

    [Benchmark]
    public WatchResponse DecodeWatchResponse10Events() => WatchResponse.Parser.ParseFrom(_watchBytes);
}
