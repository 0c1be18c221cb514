using System.Security.Cryptography;

namespace KvCluster.KvServer.Auth;

// Passwords (PBKDF2) and simple tokens.
public sealed partial class AuthStore
{
    private static (byte[]? Salt, byte[]? Hash) Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return (salt, Derive(password, salt, Pbkdf2Iterations));
    }

    private static bool PasswordMatches(UserRecord user, string password) =>
        CryptographicOperations.FixedTimeEquals(
            Derive(password, user.Salt!, user.Iterations > 0 ? user.Iterations : Pbkdf2Iterations),
            user.Hash);

    private static byte[] Derive(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);

    // Caller holds _writeLock, so no token is issued for a state that is being replaced.
    private string IssueToken(string user)
    {
        var now = _time.GetUtcNow();
        var token = RandomNumberGenerator.GetString(TokenLetters, TokenPrefixLength) + "." + Interlocked.Increment(ref _tokenIndex);
        lock (_tokenLock)
        {
            // etcd sweeps expired tokens every second; sweeping once per TTL on issue bounds the map just as well.
            if (now >= _nextTokenSweep)
            {
                foreach (var stale in _tokens.Where(t => t.Value.Expiry <= now).Select(t => t.Key).ToList())
                {
                    _tokens.Remove(stale);
                }

                _nextTokenSweep = now + _tokenTtl;
            }

            _tokens[token] = new TokenEntry(user, now + _tokenTtl);
        }

        return token;
    }

    private void DropAllTokens()
    {
        lock (_tokenLock)
        {
            _tokens.Clear();
        }
    }

    private void DropTokensOf(string user)
    {
        lock (_tokenLock)
        {
            foreach (var token in _tokens.Where(t => t.Value.User == user).Select(t => t.Key).ToList())
            {
                _tokens.Remove(token);
            }
        }
    }
}
