from django.core.management.base import BaseCommand

from agents.services.cad_jobs import cad_jobs_resume


class Command(BaseCommand):
    help = "Queue again the CAD jobs a stopped worker left unfinished (run before the worker)."

    def handle(self, *args, **options):
        jobs = cad_jobs_resume()
        for job in jobs:
            self.stdout.write(f"resumed CAD job {job.public_id} ({job.done}/{job.total} done)")
        if not jobs:
            self.stdout.write("no unfinished CAD jobs")
