"""The demo: a seeded class (``seed``) and a simulated classroom camera (``camera``) that sends
frames through the same ``/ws/scan`` a phone uses."""
