using System.Collections.Concurrent;

namespace KvCluster.Kv.Mvcc;

/// <summary>
/// The apply loop: write requests are queued and applied in order by one dedicated thread, in
/// batches under one hold of the write lock (as etcd's single apply loop). Callers never block a
/// thread on the lock: with many concurrent writers on thread-pool threads, blocking them starved
/// the pool of the threads that complete WAL I/O, which stalled every write for seconds or minutes.
/// </summary>
public sealed partial class MvccStore
{
    /// <summary>Most requests applied under one hold of the write lock.</summary>
    private const int ApplyBatchLimit = 1024;

    private readonly ConcurrentQueue<PendingWrite> _pending = new();
    private readonly ManualResetEventSlim _pendingSignal = new(false, spinCount: 0);
    private Thread? _applier;
    private volatile bool _stopApplier;

    /// <summary>
    /// Queues <paramref name="body"/> as one write request; completes once it has been applied and its
    /// WAL entry is durable, or with the error that refused it.
    /// </summary>
    private ValueTask<T> WriteAsync<T>(long appliedIndex, Func<WriteBatch, T> body) =>
        WriteAsync(appliedIndex, body, static (_, b, f) => f(b));

    /// <summary>As above, with the request passed to a static body (no closure per request).</summary>
    private ValueTask<T> WriteAsync<TState, T>(long appliedIndex, TState state, Func<MvccStore, WriteBatch, TState, T> body)
    {
        ThrowIfDisposed();
        var op = new PendingWrite<TState, T>(appliedIndex, state, body);
        _pending.Enqueue(op);
        _pendingSignal.Set();
        return new ValueTask<T>(op.Task);
    }

    private void StartApplier()
    {
        _applier = new Thread(ApplyLoop) { IsBackground = true, Name = "kv-applier" };
        _applier.Start();
    }

    private void ApplyLoop()
    {
        var batch = new List<PendingWrite>(ApplyBatchLimit);
        while (true)
        {
            _pendingSignal.Wait();
            _pendingSignal.Reset();
            while (batch.Count < ApplyBatchLimit && _pending.TryDequeue(out var op))
            {
                batch.Add(op);
            }

            if (!_pending.IsEmpty)
            {
                _pendingSignal.Set(); // More than one batch was waiting.
            }

            if (batch.Count == 0)
            {
                if (_stopApplier)
                {
                    return;
                }

                continue;
            }

            Task? durable;
            lock (_writeLock)
            {
                foreach (var op in batch)
                {
                    op.Apply(this);
                }

                durable = DurableLocked();
            }

            var applied = batch.ToArray();
            batch.Clear();
            if (durable is null)
            {
                Complete(applied, null);
            }
            else
            {
                // Refused requests answer now; the others once the commit round is durable. The loop goes
                // on meanwhile: the next batch is applied while this one's flush is in progress.
                foreach (var op in applied.Where(o => o.Refused))
                {
                    op.Complete(null);
                }

                durable.ContinueWith(
                    static (t, state) => Complete((PendingWrite[])state!, t.Exception?.InnerException),
                    applied, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private static void Complete(PendingWrite[] ops, Exception? durabilityError)
    {
        foreach (var op in ops)
        {
            op.Complete(durabilityError);
        }
    }

    /// <summary>Stops the apply loop after what is queued; requests queued later fail as the store is disposed.</summary>
    private void StopApplier()
    {
        _stopApplier = true;
        _pendingSignal.Set();
        _applier?.Join();
        while (_pending.TryDequeue(out var op))
        {
            op.Apply(this); // refused: the store is disposed
            op.Complete(null);
        }
    }

    private abstract class PendingWrite
    {
        public abstract bool Refused { get; }

        /// <summary>Applies the request under the write lock, keeping its result or the error that refused it.</summary>
        public abstract void Apply(MvccStore store);

        public abstract void Complete(Exception? durabilityError);
    }

    private sealed class PendingWrite<TState, T>(long appliedIndex, TState state, Func<MvccStore, WriteBatch, TState, T> body) : PendingWrite
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _error;

        public Task<T> Task => _done.Task;

        public override bool Refused => _error is not null;

        public override void Apply(MvccStore store)
        {
            try
            {
                store.CheckWritable();
                _result = store.ApplyLocked(appliedIndex, state, body);
            }
            catch (Exception e)
            {
                _error = e; // Refused before changing anything (validation), or the store is closed.
            }
        }

        public override void Complete(Exception? durabilityError)
        {
            if ((_error ?? durabilityError) is { } e)
            {
                _done.TrySetException(e);
            }
            else
            {
                _done.TrySetResult(_result!);
            }
        }
    }
}
