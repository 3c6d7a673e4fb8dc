//! The clients: one `Connection::client` per task, on single-threaded
//! tokio runtimes, reading and writing without blocking.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use bytes::Bytes;
use rfc6455::{
    ClientRequest, CloseCode, Config, Connection, Event, Initiator, Instant, MessageKind, State,
};
use tokio::io::Interest;
use tokio::net::TcpStream;

use crate::Plan;
use crate::content::{Rng, message_len, read_len};
use crate::ledger::Ledger;
use crate::stats::Stats;

/// Unanswered pings allowed at once. Below the 16 pending pongs a
/// connection keeps before coalescing them, so every ping gets its pong.
const MAX_PINGS_IN_FLIGHT: usize = 8;
/// Messages sent and not yet echoed, per connection: at most this many...
const MAX_MESSAGES_IN_FLIGHT: usize = 32;
/// ...and no new one once this many bytes are in flight.
const MAX_BYTES_IN_FLIGHT: usize = 1 << 20;
/// No new message while this many bytes wait to be written.
const MAX_UNWRITTEN: usize = 512 << 10;
/// How long after the sending phase a connection may take to finish.
pub const GRACE: Duration = Duration::from_secs(60);

/// Runs connections `ids` as tasks of a single-threaded runtime on this
/// thread.
pub fn client_thread(plan: &Arc<Plan>, ids: &[usize]) -> Result<Stats, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| e.to_string())?;
    let tasks: Vec<_> = ids
        .iter()
        .map(|&id| rt.spawn(Client::new(Arc::clone(plan), id).soak()))
        .collect();
    rt.block_on(async {
        let mut total = Stats::default();
        for t in tasks {
            total.add(
                &t.await
                    .map_err(|e| format!("a connection's task failed: {e}"))?,
            );
        }
        Ok(total)
    })
}

/// A message being sent in fragments, over several turns of the loop.
struct Outgoing {
    kind: MessageKind,
    data: Vec<u8>,
    /// Where each fragment ends; the last is `data.len()`.
    ends: Vec<usize>,
    /// How many fragments have been sent.
    sent: usize,
}

/// One connection of the soak: its generators, ledger and figures.
struct Client {
    plan: Arc<Plan>,
    id: usize,
    /// Message kinds, sizes and contents, fragmentation, pings.
    rng: Rng,
    /// Read sizes.
    reads: Rng,
    ledger: Ledger,
    stats: Stats,
    /// Diagnostics for the first ledger mismatches (they are counted there).
    details: Vec<String>,
    next_seq: u64,
    next_ping: u64,
    sending: Option<Outgoing>,
    close_sent: bool,
    closed: Option<rfc6455::Close>,
    /// The server closed TCP (a read returned 0).
    eof: bool,
}

impl Client {
    fn new(plan: Arc<Plan>, id: usize) -> Client {
        let seed = plan.seed;
        Client {
            plan,
            id,
            rng: Rng::new(seed, 3 * id as u64),
            reads: Rng::new(seed, 3 * id as u64 + 1),
            ledger: Ledger::default(),
            stats: Stats {
                connections: 1,
                ..Stats::default()
            },
            details: Vec::new(),
            next_seq: 0,
            next_ping: 0,
            sending: None,
            close_sent: false,
            closed: None,
            eof: false,
        }
    }

    /// Runs the connection to its end and returns its figures.
    async fn soak(mut self) -> Stats {
        if let Err(e) = self.drive().await {
            self.stats
                .errors
                .push(format!("connection {}: {e}", self.id));
        }
        self.finish()
    }

    async fn drive(&mut self) -> Result<(), String> {
        let plan = Arc::clone(&self.plan);
        let sock = tokio::time::timeout_at(plan.give_up.into(), TcpStream::connect(plan.addr))
            .await
            .map_err(|_| "connect: timed out".to_string())?
            .map_err(|e| format!("connect: {e}"))?;
        sock.set_nodelay(true).map_err(|e| e.to_string())?;
        let url = format!("ws://{}/soak/{}", plan.addr, self.id);
        let request = ClientRequest::from_url(&url).map_err(|e| e.to_string())?;
        let mut config = Config::default();
        // Every pong must answer one of our pings: no keepalive pings of
        // the library's own.
        config.ping_interval = None;
        // A loaded CI machine may take long to echo what is in flight when
        // we close; the soak checks what arrives, not how fast.
        config.close_timeout = Some(Duration::from_secs(30));
        let mut masks = Rng::new(plan.seed, 3 * self.id as u64 + 2);
        let entropy = move |buf: &mut [u8]| buf.fill_with(|| masks.next() as u8);
        let mut conn = Connection::client(request, config, entropy).map_err(|e| e.to_string())?;

        // Output taken from the connection and not yet written, and how
        // much of the first buffer is written.
        let mut out: VecDeque<Bytes> = VecDeque::new();
        let (mut written, mut unwritten) = (0, 0);
        loop {
            let now = StdInstant::now();
            conn.handle_timeout(plan.clock.instant(now));
            if now >= plan.give_up {
                conn.abort();
                self.take_events(&mut conn);
                return Err(format!("still running {GRACE:?} after the sending phase"));
            }
            let mut progress = false;
            self.take_events(&mut conn);
            progress |= self.produce(&mut conn, now >= plan.stop_sending, unwritten)?;
            while let Some(bytes) = conn.poll_transmit() {
                unwritten += bytes.len();
                out.push_back(bytes);
            }
            while let Some(front) = out.front() {
                match sock.try_write(&front[written..]) {
                    Ok(n) => {
                        progress = true;
                        written += n;
                        unwritten -= n;
                        if written == front.len() {
                            out.pop_front();
                            written = 0;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => {
                        conn.abort();
                        self.take_events(&mut conn);
                        return Err(format!("write: {e}"));
                    }
                }
            }
            if conn.should_close_transport() && out.is_empty() {
                break;
            }
            if !self.eof {
                // Read straight into the connection's buffer, a random
                // number of bytes at a time.
                let buf = conn.input_buffer(read_len(&mut self.reads));
                match sock.try_read(buf) {
                    Ok(0) => {
                        conn.commit_input(0);
                        conn.handle_eof();
                        self.eof = true;
                        progress = true;
                    }
                    Ok(n) => {
                        conn.commit_input(n);
                        self.stats.reads += 1;
                        self.stats.bytes_read += n as u64;
                        self.stats.tiny_reads += u64::from(n <= 16);
                        progress = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => conn.commit_input(0),
                    Err(e) => {
                        conn.commit_input(0);
                        conn.abort();
                        self.take_events(&mut conn);
                        return Err(format!("read: {e}"));
                    }
                }
            }
            if progress {
                // Let the other connections of this thread have a turn.
                tokio::task::yield_now().await;
                continue;
            }
            // Nothing to do until the socket is ready, a timer of the
            // connection is due, or the sending phase ends.
            let interest = match (self.eof, out.is_empty()) {
                (false, true) => Some(Interest::READABLE),
                (false, false) => Some(Interest::READABLE | Interest::WRITABLE),
                (true, false) => Some(Interest::WRITABLE),
                (true, true) => None,
            };
            let mut deadline = conn
                .poll_timeout()
                .and_then(|t: Instant| plan.clock.to_std(t))
                .map_or(plan.give_up, |t| t.min(plan.give_up));
            if !self.close_sent && now < plan.stop_sending {
                deadline = deadline.min(plan.stop_sending);
            }
            tokio::select! {
                ready = async {
                    match interest {
                        Some(i) => sock.ready(i).await.map(drop),
                        None => std::future::pending().await,
                    }
                } => ready.map_err(|e| format!("wait: {e}"))?,
                () = tokio::time::sleep_until(deadline.into()) => {}
            }
        }
        self.take_events(&mut conn);
        Ok(())
    }

    fn take_events(&mut self, conn: &mut Connection) {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Open(open) => {
                    self.stats.opened = 1;
                    self.stats.compressed = usize::from(open.deflate.is_some());
                }
                Event::Text(text) => self.received(MessageKind::Text, text.as_bytes()),
                Event::Binary(data) => self.received(MessageKind::Binary, &data),
                Event::Pong(payload) => {
                    if self.ledger.pong(&payload) {
                        self.stats.pongs_received += 1;
                    }
                }
                Event::Ping(_) => self.stats.pings_from_server += 1,
                Event::Close(close) => self.closed = Some(close),
                Event::Error(e) => self.error(format!("peer error: {e}")),
                Event::Rejected(r) => self.error(format!("handshake refused: {}", r.status())),
                other => self.error(format!("unexpected event: {other:?}")),
            }
        }
    }

    fn error(&mut self, what: String) {
        self.stats
            .errors
            .push(format!("connection {}: {what}", self.id));
    }

    fn received(&mut self, kind: MessageKind, data: &[u8]) {
        self.stats.messages_received += 1;
        self.stats.bytes_received += data.len() as u64;
        if !self.ledger.received(kind, data) && self.details.len() < 3 {
            let head = String::from_utf8_lossy(&data[..data.len().min(16)]).into_owned();
            self.details.push(format!(
                "connection {}: message {} out of turn: {kind:?}, {} B, starting {head:?}",
                self.id,
                self.stats.messages_received,
                data.len()
            ));
        }
    }

    /// Sends what the application has to send this turn: up to four steps
    /// (a fragment, or a new message), with pings and pongs between; the
    /// close once the sending phase is over. True if anything was sent.
    fn produce(
        &mut self,
        conn: &mut Connection,
        stop: bool,
        unwritten: usize,
    ) -> Result<bool, String> {
        if conn.state() != State::Open || self.close_sent {
            return Ok(false);
        }
        let mut progress = false;
        for _ in 0..self.rng.range(1, 4) {
            if self.sending.is_some() {
                self.send_fragment(conn)?;
            } else if stop {
                // Close at once: echoes still on their way must arrive
                // before the server's close frame.
                self.stats.in_flight_at_close += self.ledger.in_flight().0 as u64;
                conn.close(CloseCode::NORMAL, "soak done")
                    .map_err(|e| format!("close: {e}"))?;
                self.close_sent = true;
                return Ok(true);
            } else if self.ledger.in_flight().0 < MAX_MESSAGES_IN_FLIGHT
                && self.ledger.in_flight().1 < MAX_BYTES_IN_FLIGHT
                && conn.buffered_amount() + unwritten < MAX_UNWRITTEN
            {
                self.start_message(conn)?;
            } else {
                break;
            }
            progress = true;
            if self.rng.one_in(8) {
                self.ping(conn)?;
            }
            if self.rng.one_in(64) {
                conn.pong(b"unsolicited")
                    .map_err(|e| format!("pong: {e}"))?;
                self.stats.unsolicited_pongs += 1;
            }
        }
        Ok(progress)
    }

    fn start_message(&mut self, conn: &mut Connection) -> Result<(), String> {
        let kind = if self.rng.one_in(2) {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        let len = message_len(&mut self.rng);
        let data = self
            .plan
            .pools
            .message(&mut self.rng, kind, len, self.id, self.next_seq);
        self.next_seq += 1;
        self.ledger.sent(kind, &data);
        let s = &mut self.stats;
        s.messages_sent += 1;
        s.bytes_sent += len as u64;
        s.text_sent += u64::from(kind == MessageKind::Text);
        s.empty += u64::from(len == 0);
        s.largest = s.largest.max(len);
        if self.rng.one_in(3) {
            // 2 to 8 fragments, now and then up to 64, cut anywhere.
            s.fragmented += 1;
            let n = if self.rng.one_in(8) {
                self.rng.range(9, 64)
            } else {
                self.rng.range(2, 8)
            };
            let mut ends: Vec<usize> = (1..n).map(|_| self.rng.range(0, len)).collect();
            ends.sort_unstable();
            ends.push(len);
            self.sending = Some(Outgoing {
                kind,
                data,
                ends,
                sent: 0,
            });
            return self.send_fragment(conn);
        }
        s.frames_sent += 1;
        match kind {
            MessageKind::Text => {
                let text = std::str::from_utf8(&data).map_err(|e| format!("generator: {e}"))?;
                conn.send_text(text)
            }
            MessageKind::Binary => conn.send_binary(&data),
        }
        .map_err(|e| format!("send: {e}"))
    }

    /// Sends the next fragment of the message being sent; between two
    /// fragments, a third of the time, a ping.
    fn send_fragment(&mut self, conn: &mut Connection) -> Result<(), String> {
        let Some(out) = self.sending.as_mut() else {
            return Ok(());
        };
        let start = if out.sent == 0 {
            0
        } else {
            out.ends[out.sent - 1]
        };
        let end = out.ends[out.sent];
        let fin = out.sent + 1 == out.ends.len();
        conn.send_fragment(out.kind, &out.data[start..end], fin)
            .map_err(|e| format!("send_fragment: {e}"))?;
        out.sent += 1;
        self.stats.frames_sent += 1;
        if fin {
            self.sending = None;
        } else if self.rng.one_in(3) {
            self.ping(conn)?;
        }
        Ok(())
    }

    /// Sends a ping of 6 to 125 bytes that names this connection and the
    /// ping's number, unless too many are unanswered.
    fn ping(&mut self, conn: &mut Connection) -> Result<(), String> {
        if self.ledger.pings_in_flight() >= MAX_PINGS_IN_FLIGHT {
            return Ok(());
        }
        let mut payload = format!("{:04x}:{}", self.id, self.next_ping).into_bytes();
        self.next_ping += 1;
        payload.resize(self.rng.range(payload.len(), 125), b'~');
        conn.ping(&payload).map_err(|e| format!("ping: {e}"))?;
        self.ledger.ping(Bytes::from(payload));
        self.stats.pings_sent += 1;
        Ok(())
    }

    /// Closes the books: what is still expected is lost, and the close must
    /// have been ours, answered (1000, clean), and followed by the server's
    /// TCP close.
    fn finish(mut self) -> Stats {
        self.ledger.finish();
        self.stats.take_ledger(&self.ledger);
        match &self.closed {
            Some(c)
                if c.clean
                    && c.code == CloseCode::NORMAL
                    && c.initiator == Initiator::Local
                    && self.eof =>
            {
                self.stats.clean += 1;
            }
            other => {
                self.stats.unclean += 1;
                let what = format!("unclean end: {other:?}, server closed TCP: {}", self.eof);
                self.error(what);
            }
        }
        if self.stats.messages_received == 0 {
            self.stats.idle += 1;
        }
        self.stats.details = self.details;
        self.stats
    }
}
