"""The HTTP face of the service: the Starlette app (``app``), the API routes (``api``,
``rules_api``, ``reports_api``, ``pages``), request bodies, tokens, security headers, the OpenAPI
document, TLS certificates and the phone-pairing QR code."""
