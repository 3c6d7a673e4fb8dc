//! The server: our `echo_server` example, as a child process.

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The `echo_server` child process, killed by its PID when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// Every line the server prints after the first one.
    lines: mpsc::Receiver<String>,
}

impl Server {
    pub fn start(path: &Path, seed: u64) -> Result<Server, Box<dyn Error>> {
        let child = Command::new(path)
            .args(["127.0.0.1:0", "--random-reads", &seed.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            lines: mpsc::channel().1,
        };
        let stderr = server.child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || forward_lines(stderr, tx));
        // "echo server on ws://127.0.0.1:PORT/"
        let first = rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "the server printed nothing within 10 s")?;
        server.addr = first
            .strip_prefix("echo server on ws://")
            .and_then(|a| a.strip_suffix('/'))
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("unexpected first line from the server: {first:?}"))?;
        server.lines = rx;
        Ok(server)
    }

    /// Checks the server is still running, kills it, and returns what it
    /// printed after its first line.
    pub fn stop(mut self) -> Result<Vec<String>, Box<dyn Error>> {
        let mut lines = Vec::new();
        if let Some(status) = self.child.try_wait()? {
            lines.push(format!("the server exited by itself: {status}"));
        }
        self.child.kill()?;
        self.child.wait()?;
        // The pipe is closed now: the forwarding thread sends what is left.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            lines.push(line);
        }
        Ok(lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only our own child, by its PID; harmless if it is already gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward_lines(stderr: ChildStderr, tx: mpsc::Sender<String>) {
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { return };
        if tx.send(line).is_err() {
            return;
        }
    }
}
