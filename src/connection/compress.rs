//! permessage-deflate (RFC 7692) inside a connection: what was agreed, and
//! both codecs. The receive stage is in `recv.rs` (`read_compressed`), the
//! send stage in `send.rs` (`send_compressed`).

use alloc::vec::Vec;

use super::Role;
use crate::deflate::{Compressor, Decompressor, DeflateConfig, DeflateParams};

/// The most output one inflate step may add: in streaming mode the size of
/// a piece, for whole messages how far past the limit a message may grow
/// before it fails with 1009.
pub(super) const INFLATE_STEP: usize = 64 << 10;

/// The extension's state on one connection.
pub(super) struct PerMessageDeflate {
    pub(super) params: DeflateParams,
    pub(super) compressor: Compressor,
    pub(super) decompressor: Decompressor,
    /// Messages shorter than this go out uncompressed.
    pub(super) threshold: usize,
    /// The compressed payload of the frame being sent (reused).
    pub(super) scratch: Vec<u8>,
}

impl PerMessageDeflate {
    pub(super) fn new(params: DeflateParams, role: Role, config: &DeflateConfig) -> Self {
        PerMessageDeflate {
            params,
            compressor: Compressor::for_params(&params, role, config.level),
            decompressor: Decompressor::for_params(&params, role),
            threshold: config.threshold,
            scratch: Vec::new(),
        }
    }

    /// Frees what is not needed between messages: the send scratch, and
    /// the zlib state of each direction that keeps no context (it is
    /// allocated again by the next compressed message). With context
    /// takeover the state is the context, and stays.
    pub(super) fn shrink(&mut self, receiving: bool, sending: bool) {
        self.scratch = Vec::new();
        if !receiving && self.decompressor.is_reset_per_message() {
            self.decompressor.release();
        }
        if !sending && self.compressor.is_reset_per_message() {
            self.compressor.release();
        }
    }
}
