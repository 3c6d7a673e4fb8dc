//! The `Sec-WebSocket-Extensions` header, as the public API of the
//! `deflate` feature: the grammar and its one parser are in
//! `handshake/extensions.rs`, which both roles use with or without this
//! feature.

use alloc::vec::Vec;

use super::params::ExtensionError;
use crate::handshake::Extension;

/// Parses the values of every `Sec-WebSocket-Extensions` header line, in
/// order, into one list of extensions with their parameters (quoted values
/// unquoted). The grammar is RFC 6455 §9.1 with HTTP's list rules (RFC
/// 9110 §5.6.1): empty list elements are skipped, a quoted value must be a
/// token once unquoted, and anything else that breaks it is
/// [`ExtensionError::Malformed`].
///
/// ```
/// use rfc6455::parse_extension_header;
/// let exts = parse_extension_header([
///     "permessage-deflate; client_max_window_bits=\"10\", x-foo",
///     "permessage-deflate",
/// ])?;
/// assert_eq!(exts.len(), 3);
/// assert_eq!(exts[0].params[0], ("client_max_window_bits".into(), Some("10".into())));
/// assert!(parse_extension_header(["x; a=\"1 2\""]).is_err());
/// # Ok::<(), rfc6455::ExtensionError>(())
/// ```
pub fn parse_extension_header<I, V>(values: I) -> Result<Vec<Extension>, ExtensionError>
where
    I: IntoIterator<Item = V>,
    V: AsRef<[u8]>,
{
    crate::handshake::parse_extension_values(values).map_err(|_| ExtensionError::Malformed)
}
