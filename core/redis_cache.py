"""Django's Redis cache, keeping one redis client per connection pool.

Django's own backend makes a new `redis.Redis` for every cache call, and
building one (its table of response callbacks) costs about half a
millisecond of CPU: more than the Redis round trip, and more than a whole
trivial Django request here. A client is only a handle on its pool, which
is thread-safe and reconnects after a fork, so one per pool is shared."""

from django.core.cache.backends import redis as django_redis

# One attempt counted in a fixed window, in one round trip: the counter is
# made (from 0) and given the window's lifetime in the same atomic step,
# so it can never be left without an expiry, and later attempts in the
# window leave its expiry alone.
_COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class _ReusingClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._count_in_window = None

    def count_in_window(self, key, *, window: int) -> int:
        client = self.get_client(key, write=True)
        if self._count_in_window is None:
            self._count_in_window = client.register_script(_COUNT_IN_WINDOW)
        return self._count_in_window(keys=[key], args=[window], client=client)

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingClient

    def count_in_window(self, key, *, window: int) -> int:
        """Count one more at `key`, a counter living `window` seconds from
        its first count; returns the count."""
        return self._cache.count_in_window(self.make_and_validate_key(key), window=window)

    def validate_key(self, key):
        """Redis takes any key: the base class's warnings are for memcached's
        limits, and walk every character of every key of every call."""
