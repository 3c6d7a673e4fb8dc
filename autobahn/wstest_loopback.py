# -*- coding: utf-8 -*-
"""Run `wstest` (Python 2.7) with every listening socket bound to 127.0.0.1.

wstest's fuzzingserver mode calls autobahn's `listenWS(factory)`, which binds the
interface '' (all addresses), and the spec offers no way to change that. This wrapper
installs wstest's reactor (importing `autobahntestsuite.wstest` does that first), then
replaces `reactor.listenTCP` with a version whose default interface is 127.0.0.1, and
runs wstest's command line unchanged: `python wstest_loopback.py -m fuzzingserver -s ...`.
"""
import sys

from autobahntestsuite import wstest  # must come first: it installs the epoll reactor
from twisted.internet import reactor

_listen_tcp = reactor.listenTCP


def _listen_tcp_loopback(port, factory, backlog=50, interface=''):
    return _listen_tcp(port, factory, backlog, interface or '127.0.0.1')


reactor.listenTCP = _listen_tcp_loopback

if __name__ == '__main__':
    sys.argv[0] = 'wstest'
    sys.exit(wstest.run())
