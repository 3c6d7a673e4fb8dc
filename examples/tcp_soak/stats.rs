//! The figures: per connection, summed, and printed.

use std::time::Duration;

use crate::ledger::Ledger;

/// Counts of what was done and of what went wrong.
#[derive(Default, Debug)]
pub struct Stats {
    pub connections: usize,
    pub opened: usize,
    /// Connections that agreed permessage-deflate (both sides offer and
    /// accept it by default: every one must).
    pub compressed: usize,
    /// Our close (1000) answered, and then TCP closed by the server.
    pub clean: usize,
    pub unclean: usize,
    /// Messages sent and not yet echoed when our close was sent.
    pub in_flight_at_close: u64,
    pub messages_sent: u64,
    pub text_sent: u64,
    pub fragmented: u64,
    pub frames_sent: u64,
    pub bytes_sent: u64,
    pub messages_received: u64,
    pub bytes_received: u64,
    pub largest: usize,
    pub empty: u64,
    pub pings_sent: u64,
    pub pongs_received: u64,
    pub pings_from_server: u64,
    pub unsolicited_pongs: u64,
    pub reads: u64,
    pub tiny_reads: u64,
    pub bytes_read: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub reordered: u64,
    pub corrupted: u64,
    pub pings_unanswered: u64,
    pub pongs_unexpected: u64,
    /// Connections that never exchanged a message.
    pub idle: u64,
    /// What went wrong, one line each (peer errors, resets, usage errors,
    /// unclean closes); the first few are printed.
    pub errors: Vec<String>,
    /// What the first ledger mismatches looked like (counted above).
    pub details: Vec<String>,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.connections += o.connections;
        self.opened += o.opened;
        self.compressed += o.compressed;
        self.clean += o.clean;
        self.unclean += o.unclean;
        self.in_flight_at_close += o.in_flight_at_close;
        self.messages_sent += o.messages_sent;
        self.text_sent += o.text_sent;
        self.fragmented += o.fragmented;
        self.frames_sent += o.frames_sent;
        self.bytes_sent += o.bytes_sent;
        self.messages_received += o.messages_received;
        self.bytes_received += o.bytes_received;
        self.largest = self.largest.max(o.largest);
        self.empty += o.empty;
        self.pings_sent += o.pings_sent;
        self.pongs_received += o.pongs_received;
        self.pings_from_server += o.pings_from_server;
        self.unsolicited_pongs += o.unsolicited_pongs;
        self.reads += o.reads;
        self.tiny_reads += o.tiny_reads;
        self.bytes_read += o.bytes_read;
        self.lost += o.lost;
        self.duplicated += o.duplicated;
        self.reordered += o.reordered;
        self.corrupted += o.corrupted;
        self.pings_unanswered += o.pings_unanswered;
        self.pongs_unexpected += o.pongs_unexpected;
        self.idle += o.idle;
        self.errors.extend(o.errors.iter().cloned());
        self.details.extend(o.details.iter().cloned());
    }

    pub fn take_ledger(&mut self, l: &Ledger) {
        self.lost += l.lost;
        self.duplicated += l.duplicated;
        self.reordered += l.reordered;
        self.corrupted += l.corrupted;
        self.pings_unanswered += l.pings_unanswered;
        self.pongs_unexpected += l.pongs_unexpected;
    }

    /// Everything that must be 0.
    pub fn trouble(&self) -> u64 {
        self.lost
            + self.duplicated
            + self.reordered
            + self.corrupted
            + self.pings_unanswered
            + self.pongs_unexpected
            + self.unclean as u64
            + self.idle
            + self.errors.len() as u64
            + (self.connections - self.opened) as u64
            + (self.opened - self.compressed.min(self.opened)) as u64
            + u64::from(self.messages_sent != self.messages_received)
            + u64::from(self.bytes_sent != self.bytes_received)
    }

    pub fn print(&self, sending: Duration, all: Duration, server_lines: &[String]) {
        let mib = |b: u64| b as f64 / f64::from(1 << 20);
        let secs = all.as_secs_f64();
        println!(
            "connections         {} opened of {} ({} with permessage-deflate), {} closed \
             clean (1000 answered, then TCP closed by the server), {} unclean; {} messages \
             still in flight when the closes were sent",
            self.opened,
            self.connections,
            self.compressed,
            self.clean,
            self.unclean,
            self.in_flight_at_close
        );
        println!(
            "messages sent       {} ({} text, {} binary; {} fragmented; {} frames; {} empty, \
             largest {} B), {} B = {:.1} MiB",
            self.messages_sent,
            self.text_sent,
            self.messages_sent - self.text_sent,
            self.fragmented,
            self.frames_sent,
            self.empty,
            self.largest,
            self.bytes_sent,
            mib(self.bytes_sent)
        );
        println!(
            "messages received   {}, {} B = {:.1} MiB",
            self.messages_received,
            self.bytes_received,
            mib(self.bytes_received)
        );
        println!(
            "pings               {} sent, {} answered in order, {} unanswered, {} unexpected \
             pongs; {} unsolicited pongs sent; {} pings from the server",
            self.pings_sent,
            self.pongs_received,
            self.pings_unanswered,
            self.pongs_unexpected,
            self.unsolicited_pongs,
            self.pings_from_server
        );
        println!(
            "client reads        {} ({} of at most 16 B), {:.1} MiB, {:.0} B on average",
            self.reads,
            self.tiny_reads,
            mib(self.bytes_read),
            self.bytes_read as f64 / self.reads.max(1) as f64
        );
        println!(
            "ledger              lost {}, duplicated {}, reordered {}, corrupted {}",
            self.lost, self.duplicated, self.reordered, self.corrupted
        );
        println!(
            "errors              {} on the clients, {} lines from the server, {} idle \
             connections",
            self.errors.len(),
            server_lines.len(),
            self.idle
        );
        for e in self.errors.iter().take(20) {
            println!("  client: {e}");
        }
        for d in self.details.iter().take(20) {
            println!("  ledger: {d}");
        }
        for l in server_lines.iter().take(20) {
            println!("  server: {l}");
        }
        println!(
            "duration            {:.1} s sending + {:.1} s closing = {:.1} s; {:.0} messages/s \
             and {:.1} MiB/s echoed",
            sending.as_secs_f64(),
            (all - sending).as_secs_f64(),
            secs,
            self.messages_received as f64 / secs,
            mib(self.bytes_received) / secs
        );
    }
}
