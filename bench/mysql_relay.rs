//! `bench/mysql.sh`'s way for Debezium's `MySqlConnector` to reach MariaDB (see
//! `mysql_proxy.rs`): prints the relay's port, then relays until killed.
//!
//!     cargo bench --bench mysql_relay -- HOST PORT

#[path = "mysql_proxy.rs"]
mod mysql_proxy;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [host, port] = &args[..] else {
        eprintln!("usage: mysql_relay HOST PORT");
        std::process::exit(2);
    };
    let proxy = mysql_proxy::Proxy::start(host, port.parse().expect("PORT is a port number"));
    println!("{}", proxy.port);
    loop {
        std::thread::park();
    }
}
