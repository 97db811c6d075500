"""scripts/services.sh, which `make test` runs its command under (the demo
needs no server: tests/test_demo_without_servers.py): where no PostgreSQL
or Redis answers, it starts private ones for the command and stops them
after. Tried on free ports, so the machine's own
servers are never touched."""

import os
import socket
import subprocess
import tempfile

import pytest

from tests.conftest import ROOT, free_port

SCRIPT = ROOT / "scripts" / "services.sh"


def answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def private_ports():
    # Outside pytest's own temporary folders, which only root may enter:
    # the private PostgreSQL runs as the postgres user.
    services_dir = tempfile.mkdtemp(prefix="hopefund-services-")
    os.chmod(services_dir, 0o755)
    env = {**os.environ, "PG_PORT": str(free_port()), "REDIS_PORT": str(free_port()), "SERVICES_DIR": services_dir}
    yield env
    subprocess.run(["rm", "-rf", services_dir], check=True)


def run(env: dict, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *command], env=env, capture_output=True, text=True, timeout=120)


def test_starts_postgres_and_redis_that_the_command_reaches_and_stops_them_after(private_ports):
    pg_port, redis_port = private_ports["PG_PORT"], private_ports["REDIS_PORT"]
    query = f"psql -h 127.0.0.1 -p {pg_port} -U root -d test -tAc 'SELECT current_user'"
    ping = f"redis-cli -p {redis_port} ping"

    finished = run(private_ports, "sh", "-c", f"{query} && {ping}")

    assert finished.returncode == 0, finished.stderr
    assert "starting a private PostgreSQL" in finished.stdout
    assert "starting a private Redis" in finished.stdout
    assert finished.stdout.splitlines()[-2:] == ["root", "PONG"]
    assert not answers(int(pg_port))
    assert not answers(int(redis_port))


def test_the_commands_exit_status_is_the_scripts_and_the_servers_stop_all_the_same(private_ports):
    finished = run(private_ports, "sh", "-c", "exit 3")

    assert finished.returncode == 3
    assert not answers(int(private_ports["PG_PORT"]))
    assert not answers(int(private_ports["REDIS_PORT"]))


def test_servers_that_already_answer_are_used_as_they_are(private_ports):
    with socket.socket() as postgres, socket.socket() as redis:
        for listener, port in ((postgres, "PG_PORT"), (redis, "REDIS_PORT")):
            listener.bind(("127.0.0.1", int(private_ports[port])))
            listener.listen()

        finished = run(private_ports, "true")

    assert finished.returncode == 0, finished.stderr
    assert "PostgreSQL" not in finished.stdout
    assert "Redis" not in finished.stdout


def test_without_a_command_it_says_how_to_call_it(private_ports):
    finished = run(private_ports)

    assert finished.returncode == 2
    assert "usage: scripts/services.sh" in finished.stderr
