"""Bot state changes: published on Redis by the engine, streamed to browsers over SSE."""
