from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "DeepCall agents"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from agents.middleware import session_start

        user_logged_in.connect(session_start, dispatch_uid="agents.session_start")
        # Registering our system checks, and the receiver that wakes the task worker
        # whenever a task is queued.
        import agents.checks
        import agents.task_wakeup  # noqa: F401
