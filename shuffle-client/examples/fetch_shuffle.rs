//! Fetches blocks from a shuffle service and prints their sizes and Adler-32 checksums.
//!
//! ```text
//! cargo run -p shuffle-client --example fetch_shuffle -- HOST:PORT APP_ID EXEC_ID BLOCK_ID... \
//!     [--register DIR[,DIR...]] [--stream] [--out DIR]
//! ```
//!
//! `--register` first registers the executor with those local dirs (64 sub-dirs each, sort
//! shuffle), as an executor does at start-up. `--stream` fetches over `StreamRequest`s
//! instead of chunk fetches; `--out DIR` streams each block into a file of `DIR` instead of
//! memory. Block ids are `shuffle_S_M_R`, `shuffle_S_M_START_END` or `rdd_R_P`.

use std::process::ExitCode;

use futures::StreamExt;
use shuffle_client::{ClientConfig, FetchOptions, ShuffleClient, Transfer};
use shuffle_protocol::shuffle::ExecutorShuffleInfo;

const USAGE: &str = "usage: fetch_shuffle HOST:PORT APP_ID EXEC_ID BLOCK_ID... \
                     [--register DIR[,DIR...]] [--stream] [--out DIR]";

/// The command line, parsed.
struct Args {
    addr: String,
    app_id: String,
    exec_id: String,
    block_ids: Vec<String>,
    register: Option<Vec<String>>,
    stream: bool,
    out: Option<String>,
}

fn parse_args() -> Option<Args> {
    let mut positional = Vec::new();
    let (mut register, mut stream, mut out) = (None, false, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--register" => register = Some(args.next()?.split(',').map(str::to_owned).collect()),
            "--stream" => stream = true,
            "--out" => out = Some(args.next()?),
            "-h" | "--help" => return None,
            _ => positional.push(arg),
        }
    }
    if positional.len() < 4 {
        return None;
    }
    let mut positional = positional.into_iter();
    Some(Args {
        addr: positional.next()?,
        app_id: positional.next()?,
        exec_id: positional.next()?,
        block_ids: positional.collect(),
        register,
        stream,
        out,
    })
}

/// `java.util.zip.Adler32`, to compare blocks with Spark's checksum files.
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in bytes.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    b << 16 | a
}

/// Prints an error's first line: the JVM's messages go on with a stack trace.
fn report(e: &shuffle_client::Error) {
    let text = e.to_string();
    eprintln!("error: {}", text.lines().next().unwrap_or_default());
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(args) = parse_args() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let client = ShuffleClient::new(ClientConfig::default());
    if let Some(local_dirs) = args.register {
        let info = ExecutorShuffleInfo {
            local_dirs,
            sub_dirs_per_local_dir: 64,
            shuffle_manager: "org.apache.spark.shuffle.sort.SortShuffleManager".into(),
        };
        if let Err(e) =
            client.register_executor(&args.addr, &args.app_id, &args.exec_id, info).await
        {
            eprintln!("registering {}: {e}", args.exec_id);
            return ExitCode::FAILURE;
        }
        println!("registered {}/{}", args.app_id, args.exec_id);
    }

    let mut failed = false;
    if let Some(dir) = args.out {
        let mut blocks = client.fetch_blocks_to_dir(
            &args.addr,
            &args.app_id,
            &args.exec_id,
            args.block_ids,
            dir,
        );
        while let Some(block) = blocks.next().await {
            match block {
                Ok((id, file)) => println!("{id} {} bytes -> {}", file.len, file.target.display()),
                Err(e) => {
                    report(&e);
                    failed = true;
                }
            }
        }
    } else {
        let transfer = if args.stream { Transfer::Stream } else { Transfer::Chunks };
        let options = FetchOptions { transfer, size_hint: None };
        let mut blocks = client.fetch_blocks_with(
            &args.addr,
            &args.app_id,
            &args.exec_id,
            args.block_ids,
            options,
        );
        while let Some(block) = blocks.next().await {
            match block {
                Ok((id, data)) => println!("{id} {} bytes adler32={}", data.len(), adler32(&data)),
                Err(e) => {
                    report(&e);
                    failed = true;
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
