"""pool-allocator: users, subscriptions, devices and the TorBox key pool."""
