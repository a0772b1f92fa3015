"""From a camera frame to every dashboard: the frame pipeline, the ``/ws/scan`` and ``/ws/live``
sockets, running sessions (commit, publish, hooks), role views, the bus (in-process, or Redis
Streams across processes), the wrong-class guard, and the sessions' lifecycle (interrupted by a
server stop, ended when idle). Read ``pipeline.process_frame`` first."""
