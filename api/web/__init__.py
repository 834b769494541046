"""HTTP conventions shared by every area (DESIGN.md §8).

* :mod:`.errors` — the one mapping from error kinds to the specs' envelope ``{"data": {"appCode", "message"}}``.
* :mod:`.auth` — ``Ocp-Apim-Subscription-Key`` per calling system and Staff Portal JWTs.
* :mod:`.request_id` — ``X-Request-ID`` on every request and response.
* :mod:`.json` — the JSON provider (Decimal amounts as ``300.00``, keys in built order).
* :mod:`.smorest` — flask-smorest wired to those conventions (400 not 422, the error envelope in OpenAPI).
* :mod:`.fields` — marshmallow fields and limits the schemas share, derived from the column types
  (``column_text``, integer and Numeric ranges, ``id_max``, ``StrictDate``/``EventDateTime`` in the date window).
* :mod:`.limits` — the edge: credentials before parsing, the body limit, query/path text (README "Limits and timeouts").
"""
