//! A relay from a local port to MariaDB that rewrites `SHOW BINARY LOG STATUS` queries to
//! `SHOW MASTER STATUS`, so Debezium 3.6's `MySqlConnector` runs against MariaDB 10.11 (its own
//! `MariaDbConnector` is not on Maven Central at 3.6.1). Debezium asks MySQL 8.4's spelling,
//! MariaDB answers with a syntax error, and the fallback reads `SELECT VERSION()` =
//! `10.11.x-MariaDB`, takes 10 for a MySQL major version above 8.4 and fails the validation
//! ("... should support SHOW BINARY LOG STATUS but it failed"). `SHOW MASTER STATUS` has the
//! same columns on MariaDB; everything else, the binlog stream included, passes untouched.
//! Used by the MariaDB differential tests and by `bench/mysql.sh` (through `mysql_relay`).

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};

/// A running relay; it lives until the process ends.
pub struct Proxy {
    pub port: u16,
}

impl Proxy {
    /// Listens on a free loopback port and relays each connection to `host:port`.
    pub fn start(host: &str, port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let local = listener.local_addr().expect("the proxy's address").port();
        let target = format!("{host}:{port}");
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let target = target.clone();
                std::thread::spawn(move || relay(client, &target));
            }
        });
        Proxy { port: local }
    }
}

fn relay(client: TcpStream, target: &str) {
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (Ok(mut from_server), Ok(mut to_client)) = (server.try_clone(), client.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_server, &mut to_client);
        let _ = to_client.shutdown(std::net::Shutdown::Both);
    });
    let (mut from_client, mut to_server) = (client, server);
    // Client packets: 3-byte little-endian length, sequence id, payload.
    loop {
        let mut head = [0u8; 4];
        if from_client.read_exact(&mut head).is_err() {
            break;
        }
        let len = u32::from_le_bytes([head[0], head[1], head[2], 0]) as usize;
        let mut payload = vec![0u8; len];
        if from_client.read_exact(&mut payload).is_err() {
            break;
        }
        // COM_QUERY (0x03) of exactly MySQL 8.4's statement.
        if payload.first() == Some(&3)
            && std::str::from_utf8(&payload[1..])
                .is_ok_and(|q| q.trim().eq_ignore_ascii_case("SHOW BINARY LOG STATUS"))
        {
            payload = b"\x03SHOW MASTER STATUS".to_vec();
            let n = (payload.len() as u32).to_le_bytes();
            head[..3].copy_from_slice(&n[..3]);
        }
        if to_server.write_all(&head).is_err() || to_server.write_all(&payload).is_err() {
            break;
        }
    }
    let _ = to_server.shutdown(std::net::Shutdown::Both);
}
