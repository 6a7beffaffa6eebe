#!/usr/bin/env python3
"""Copies a sosreport .tar.xz, putting a node's daemon log in its empty docker journal file.

The lab has no journald, so sos's `journalctl --no-pager --unit docker` is empty there. This
writes the node's real daemon log (logrus lines) in its place, in journalctl's default
"short" format: `Mon DD HH:MM:SS HOST dockerd[PID]: <line>`. Every other member is copied
as sos wrote it. Usage: sos-journal.py SOS.tar.xz DAEMON.log HOST OUT.tar.xz
"""
import datetime
import io
import re
import sys
import tarfile

src, log, host, dst = sys.argv[1:5]
lines = ['-- Logs begin at (lab) --']
with open(log, encoding='utf-8', errors='replace') as f:
    for line in f.read().splitlines():
        m = re.match(r'time="(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)', line)
        if m:
            day = datetime.date(int(m[1]), int(m[2]), int(m[3])).strftime('%b %d')
            lines.append(f'{day} {m[4]} {host} dockerd[4242]: {line}')
journal = ('\n'.join(lines) + '\n').encode()
with tarfile.open(src, 'r:xz') as tin, tarfile.open(dst, 'w:xz') as tout:
    for m in tin.getmembers():
        if m.name.endswith('sos_commands/docker/journalctl_--no-pager_--unit_docker'):
            m.size = len(journal)
            tout.addfile(m, io.BytesIO(journal))
        elif m.isfile():
            tout.addfile(m, tin.extractfile(m))
        else:
            tout.addfile(m)
