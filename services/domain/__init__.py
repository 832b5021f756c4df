"""Domain types shared by every service: plain dataclasses and the domain's own errors.

Nothing here knows about gRPC, protobuf or a database driver.
"""
