//! One transaction of 200,000 rows streams through with bounded memory.

use std::time::Duration;

use crate::support::PgFixture;
use crate::worker::{peak_rss_kib, stop, WorkerDir};

const ROWS: u64 = 200_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200k_row_transaction_streams_with_bounded_memory() {
    let db = PgFixture::start("bigtx").await;
    db.exec("CREATE TABLE big (id bigint PRIMARY KEY, payload text NOT NULL)")
        .await;
    let dir = WorkerDir::new(&db, &[("snapshot.mode", "no_data")]);
    let mut worker = dir.start();
    for _ in 0..300 {
        if !dir.topics().is_empty() || dir.log_text().contains("streaming changes") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // ~1 KiB per row: buffering the transaction whole would need several hundred MiB.
    db.exec(&format!(
        "INSERT INTO big SELECT g, repeat(md5(g::text), 32) FROM generate_series(1, {ROWS}) g"
    ))
    .await;
    dir.wait_for("test.public.big", ROWS, Duration::from_secs(300));
    let peak = peak_rss_kib(worker.id()).expect("read the worker's VmHWM");
    stop(&mut worker);
    println!(
        "peak RSS of the worker streaming a {ROWS}-row transaction: {} MiB",
        peak / 1024
    );
    assert!(
        peak < 256 * 1024,
        "peak RSS {} MiB: the transaction was buffered instead of streamed",
        peak / 1024
    );
}
