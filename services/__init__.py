"""The five Chillproxy services. A service imports `libs`, never another service."""
