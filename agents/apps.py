from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "DeepCall agents"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from agents.middleware import session_start

        user_logged_in.connect(session_start, dispatch_uid="agents.session_start")
        # Sign-ins, failures, lockouts and sign-outs go to the sign-in record; each signed-in
        # session is remembered, so all of a user's can be ended at once.
        from agents.services.sign_in_record import sign_in_record_receivers_connect

        sign_in_record_receivers_connect()
        # Its receiver wakes the task worker whenever a task is queued.
        import agents.task_wakeup  # noqa: F401
