from celery import shared_task

from donations.tasks import RETRYING


@shared_task(**RETRYING)
def send_sign_in_link(link_id: int) -> None:
    from donors.services import sign_in

    sign_in.send_link(link_id=link_id)
