namespace KvCluster.NodeAgent.Logs;

/// <summary>
/// Reads the records of a container log in order: the rotated files, then the current one, and on past
/// its end as it grows or is rotated. <see cref="TryNext"/> is false when nothing more is there yet.
/// </summary>
/// <remarks>
/// Rotation renames the current file, so a held file that no longer has the path's (device, inode) was
/// rotated away: it is read to its end, then every rotated file newer than it, then the new current file.
/// </remarks>
internal sealed class CriLogCursor(string path) : IDisposable
{
    private readonly Queue<string> _queue = new(CriLogFiles.Rotated(path));
    private FileStream? _file;
    private (ulong, ulong)? _liveId;
    private string? _lastRotated;
    private byte[] _buf = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>How many records were read so far (a follower's sign of progress).</summary>
    public long Records { get; private set; }

    public bool TryNext(out CriLogEntry entry)
    {
        while (true)
        {
            if (_file is null && !OpenNext())
            {
                entry = default;
                return false;
            }

            if (TryTakeRecord(out entry))
            {
                Records++;
                return true;
            }

            if (Fill() > 0)
            {
                continue;
            }

            if (_liveId is null)
            {
                Close();
            }
            else if (RotatedAway())
            {
                // Written to its end before the rename: drain it like a rotated file.
                _liveId = null;
            }
            else
            {
                entry = default;
                return false;
            }
        }
    }

    public void Dispose() => Close();

    private bool TryTakeRecord(out CriLogEntry entry)
    {
        while (true)
        {
            int nl = _buf.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (nl < 0)
            {
                entry = default;
                return false;
            }

            var line = _buf.AsSpan(_start, nl);
            _start += nl + 1;
            if (CriLogEntry.TryParse(line, out entry))
            {
                return true;
            }
        }
    }

    private int Fill()
    {
        if (_start > 0)
        {
            _buf.AsSpan(_start, _end - _start).CopyTo(_buf);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buf.Length)
        {
            Array.Resize(ref _buf, _buf.Length * 2);
        }

        int n = _file!.Read(_buf, _end, _buf.Length - _end);
        _end += n;
        return n;
    }

    private bool RotatedAway()
    {
        if (FileIdentity.Of(path) == _liveId)
        {
            return false;
        }

        // Newer rotated files come after the one we hold; find it to know where they start.
        foreach (var f in CriLogFiles.Rotated(path))
        {
            if (FileIdentity.Of(f) == _liveId)
            {
                _lastRotated = f;
            }
        }

        return true;
    }

    private bool OpenNext()
    {
        while (_queue.TryDequeue(out var next))
        {
            _lastRotated = next;
            if (TryOpen(next) is { } f)
            {
                _file = f;
                return true;
            }
        }

        return OpenLive();
    }

    // Opens the current file unless files were rotated since the last one read; they go first.
    private bool OpenLive()
    {
        if (EnqueueNewRotated())
        {
            return OpenNext();
        }

        var f = TryOpen(path);
        if (f is null)
        {
            return false;
        }

        if (EnqueueNewRotated())
        {
            // Rotated while opening: f may be the new file, and the one before it is unread.
            f.Dispose();
            return OpenNext();
        }

        _file = f;
        _liveId = FileIdentity.Of(f.SafeFileHandle);
        return true;
    }

    private bool EnqueueNewRotated()
    {
        foreach (var f in CriLogFiles.Rotated(path))
        {
            if (_lastRotated is null || string.CompareOrdinal(f, _lastRotated) > 0)
            {
                _queue.Enqueue(f);
            }
        }

        return _queue.Count > 0;
    }

    private void Close()
    {
        _file?.Dispose();
        _file = null;
        _liveId = null;
        _start = _end = 0;
    }

    private static FileStream? TryOpen(string file)
    {
        try
        {
            return new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }
}
