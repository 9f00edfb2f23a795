"""The catalog cache's Redis store: entries shared by every API, worker and scheduler process.

Used by `services.platform.catalog_ttl` only. Keys (all under `PREFIX`, `cartwheel:catalog:`):

- `cartwheel:catalog:generation`: the generation, an integer. `bump` is an `INCR`, so every
  process sees a write made anywhere at its next lookup. When the key is missing (a new or
  flushed Redis, an evicted key) it is seeded with the server's time in microseconds, so a
  generation never comes back to a value whose entries might still exist.
- `cartwheel:catalog:<generation>:<name>`: one entry (bytes), written with `EX <ttl>`; only
  the current generation's are read, older ones are dead and expire with their TTL (or are
  removed early by `sweep`, the `catalog_cache_cleanup` maintenance task).

A lookup is one round trip (a Lua script reads the generation and the entry together), a put
one more (a script that writes only while the generation it read is still current, so a value
read before a write never lands in the generation after it). The scripts compute the entry's
key from the generation, so the store needs one Redis server (not Redis Cluster).

Every method raises redis errors (`errors`); the facade turns them into database reads.
Timeouts: `TIMEOUT_SECONDS` to connect and per command.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

PREFIX = "cartwheel:catalog:"
GENERATION_KEY = PREFIX + "generation"
TIMEOUT_SECONDS = 0.5
SCAN_COUNT = 1000  # keys per SCAN step
DELETE_BATCH = 500  # keys per UNLINK

# The generation as a string, seeded from the server clock (microseconds) when missing.
_GENERATION = """
local g = redis.call('GET', KEYS[1])
if not g then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[1], t[1] .. string.format('%06d', tonumber(t[2])), 'NX')
  g = redis.call('GET', KEYS[1])
end
"""
# KEYS[1] generation; ARGV[1] entry key prefix, ARGV[2] name -> {generation, value or false}
_LOOKUP = _GENERATION + "return {g, redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])}"
# KEYS[1] generation, KEYS[2] entry; ARGV[1] generation read, ARGV[2] value, ARGV[3] ttl -> 1 stored / 0
_PUT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""
# KEYS[1] generation -> the new generation
_BUMP = _GENERATION + "return redis.call('INCR', KEYS[1])"


def parse_key(key: bytes | str) -> tuple[int, str] | None:
    """`cartwheel:catalog:<generation>:<name>` -> (generation, name); None for the generation key
    and for keys under the prefix that are not entries (e.g. `cartwheel:catalog:junk`)."""
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else key
    generation, sep, name = text[len(PREFIX):].partition(":")
    if not sep or not generation.isdigit():
        return None
    return int(generation), name


class RedisCatalogStore:
    """The store interface of `catalog_ttl` (`lookup`, `put`, `bump`, `generation`, `purge`,
    `sweep`) on the Redis at `url`."""

    kind = "redis"
    shared = True  # every process reads the same entries

    def __init__(self, url: str):
        import redis

        self.url = url
        self.errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS,
                                           socket_timeout=TIMEOUT_SECONDS, health_check_interval=30)
        self._lookup = self.client.register_script(_LOOKUP)
        self._put = self.client.register_script(_PUT)
        self._bump = self.client.register_script(_BUMP)

    def generation(self) -> int:
        """The current generation (seeded when missing)."""
        return self.lookup("")[0]

    def lookup(self, name: str) -> tuple[int, bytes | None]:
        """`(current generation, the value of name in it or None)`, in one round trip."""
        generation, value = self._lookup(keys=[GENERATION_KEY], args=[PREFIX, name])
        return int(generation), value or None

    def put(self, generation: int, name: str, value: bytes, ttl: int) -> None:
        """Keep `value` for `ttl` seconds if `generation` is still the current one."""
        self._put(keys=[GENERATION_KEY, f"{PREFIX}{generation}:{name}"], args=[generation, value, ttl])

    def bump(self) -> int:
        """`INCR` the generation (every entry is dead at once, for every process); returns it."""
        return int(self._bump(keys=[GENERATION_KEY]))

    def _entries(self):
        """(key, generation, name) of every key under the prefix but the generation; name None
        for a key that is not an entry."""
        for key in self.client.scan_iter(match=PREFIX + "*", count=SCAN_COUNT):
            if key == GENERATION_KEY.encode():
                continue
            parsed = parse_key(key)
            yield (key, *parsed) if parsed else (key, None, None)

    def _delete(self, keys: list) -> int:
        deleted = 0
        for start in range(0, len(keys), DELETE_BATCH):
            deleted += int(self.client.unlink(*keys[start:start + DELETE_BATCH]))
        return deleted

    def purge(self, pattern: str | None) -> tuple[int, int]:
        """Delete the entries whose name matches the glob `pattern`, of every generation (when
        None: bump the generation first, then delete every older entry). Returns `(entries of
        the then-current generation deleted, entries of older generations deleted)`."""
        live = self.bump() - 1 if pattern is None else self.generation()
        current, older = [], []
        for key, generation, name in self._entries():
            if name is None or (pattern is not None and not fnmatchcase(name, pattern)):
                continue
            if pattern is None and generation > live:
                continue  # written after the purge began: already fresh
            (current if generation == live else older).append(key)
        return self._delete(current), self._delete(older)

    def sweep(self) -> dict:
        """Delete entries of older generations and orphans (keys under the prefix that are not
        entries, or carry no expiry): `{"removedOldGeneration", "removedOrphans", "kept"}`."""
        generation = self.generation()
        old, orphans, recent = [], [], []
        for key, entry_generation, _ in self._entries():
            if entry_generation is None:
                orphans.append(key)
            elif entry_generation < generation:
                old.append(key)
            else:
                recent.append(key)
        kept = 0
        for start in range(0, len(recent), DELETE_BATCH):
            batch = recent[start:start + DELETE_BATCH]
            pipe = self.client.pipeline(transaction=False)
            for key in batch:
                pipe.ttl(key)
            for key, ttl in zip(batch, pipe.execute()):
                if ttl == -1:  # no expiry: nothing would ever remove it
                    orphans.append(key)
                elif ttl != -2:  # -2: expired meanwhile
                    kept += 1
        return {"removedOldGeneration": self._delete(old), "removedOrphans": self._delete(orphans), "kept": kept}
