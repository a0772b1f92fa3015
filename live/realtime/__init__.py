"""From a camera frame to every dashboard: the frame pipeline, the ``/ws/scan`` and ``/ws/live``
sockets, running sessions (commit, publish, hooks), role views, and the bus (in-process, or
Redis Streams across processes). Read ``pipeline.process_frame`` first."""
