"""The shared HTTP layer every network stage uses, so each piece of politeness exists once.

``exchange`` (one bounded exchange), ``body`` (bounded body reads), ``limits`` (rate limiters
by endpoint), ``retry`` (the polite retry loop), ``singleflight`` (identical requests in flight
go out once) and ``guard`` (the private-address guard).
"""
