"""pool-allocator's SQL, one module per table group. Functions take a connection (or pool) and plain values."""
