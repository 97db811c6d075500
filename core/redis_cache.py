"""Django's Redis cache, keeping one redis client per connection pool.

Django's own backend makes a new `redis.Redis` for every cache call, and
building one (its table of response callbacks) costs about half a
millisecond of CPU: more than the Redis round trip, and more than a whole
trivial Django request here. A client is only a handle on its pool, which
is thread-safe and reconnects after a fork, so one per pool is shared."""

from django.core.cache.backends import redis as django_redis


class _ReusingClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

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

    def validate_key(self, key):
        """Redis takes any key: the base class's warnings are for memcached's
        limits, and walk every character of every key of every call."""
