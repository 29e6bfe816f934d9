//! The whole stack beside the bare service, with the system allocator; see
//! `stack_common` for the rows and how to read them.
//!
//! ```text
//! cargo bench -p rimguard --bench stack -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{Criterion, criterion_group, criterion_main};

mod stack_common;

use stack_common::{ThreadCpuTime, cpu_time, whole_stack};

fn rows(c: &mut Criterion<ThreadCpuTime>) {
    whole_stack(c, "stack");
}

criterion_group! {
    name = benches;
    config = cpu_time();
    targets = rows
}
criterion_main!(benches);
