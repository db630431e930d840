//! Feeds arbitrary bytes to the pgoutput decoder in every mode: it must return, never panic.
//! The first input byte picks the mode (in_stream, protocol version 0 to 5), the rest is the message.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use pg_wal::pgoutput::{decode, Decoder};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, message)) = data.split_first() else {
        return;
    };
    let in_stream = mode & 1 == 1;
    let version = u32::from(mode >> 1) % 6;
    let message = Bytes::copy_from_slice(message);
    let _ = decode(message.clone(), in_stream, version);

    // A session: the same bytes split into messages at every 0xFE, through the stateful Decoder.
    let mut decoder = Decoder::new(version);
    for part in message.split(|&b| b == 0xfe) {
        let _ = decoder.decode(Bytes::copy_from_slice(part));
    }
});
