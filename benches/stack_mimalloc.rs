//! The whole stack beside the bare service, with mimalloc as the global
//! allocator, as in the `rimguard` binary; see `stack_common` for the rows.
//!
//! ```text
//! cargo bench -p rimguard --bench stack_mimalloc -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{Criterion, criterion_group, criterion_main};

mod stack_common;

use stack_common::{ThreadCpuTime, cpu_time, whole_stack};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rows(c: &mut Criterion<ThreadCpuTime>) {
    whole_stack(c, "stack-mimalloc");
}

criterion_group! {
    name = benches;
    config = cpu_time();
    targets = rows
}
criterion_main!(benches);
