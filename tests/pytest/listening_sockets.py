"""Which TCP ports a set of processes listens on, and on which address (Linux: read from /proc)."""

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

LISTEN_STATE = "0A"


@dataclass(frozen=True)
class Listener:
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: int
    pid: int

    @property
    def is_loopback(self) -> bool:
        mapped = getattr(self.address, "ipv4_mapped", None)
        return (mapped or self.address).is_loopback

    def __str__(self) -> str:
        return f"{self.address}:{self.port} (pid {self.pid})"


def descendants(pid: int) -> set[int]:
    """pid and every process below it."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The second field (the command) is in parentheses and may hold spaces.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, pending = set(), [pid]
    while pending:
        current = pending.pop()
        found.add(current)
        pending.extend(children.get(current, []))
    return found


def _socket_owners(pids: set[int]) -> dict[str, int]:
    """Socket inode -> pid, for the open file descriptors of pids."""
    owners = {}
    for pid in pids:
        try:
            for fd in os.scandir(f"/proc/{pid}/fd"):
                target = os.readlink(fd.path)
                if target.startswith("socket:["):
                    owners[target[len("socket:[") : -1]] = pid
        except OSError:  # the process ended meanwhile
            continue
    return owners


def _address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    # /proc/net/tcp{,6} writes each 32-bit word of the address in host (little-endian) order.
    words = [hex_address[i : i + 8] for i in range(0, len(hex_address), 8)]
    packed = b"".join(bytes.fromhex(word)[::-1] for word in words)
    return ipaddress.ip_address(packed)


def listeners(pids: set[int]) -> list[Listener]:
    """The TCP sockets in the LISTEN state that the processes pids hold."""
    owners = _socket_owners(pids)
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN_STATE and inode in owners:
                address, port = local.split(":")
                found.append(Listener(_address(address), int(port, 16), owners[inode]))
    return found
