"""Dramatiq side of Cartwheel: broker set-up, middleware, actors, relay, scheduler.

Import `workers.app` (what `dramatiq workers.app` does) to get a configured
broker with every actor declared.
"""
