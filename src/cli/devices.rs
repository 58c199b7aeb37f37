//! `speedup devices`: the CPU, every wgpu adapter, and which one `auto` picks.

use speedup::backend::logical_cores;
use speedup::gpu::{auto_pick, list_adapters, telemetry};
use speedup::host;

/// Arguments of `speedup devices`.
#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Variables through which schedulers say which GPU a task was given. wgpu reads none of them,
/// so `devices` shows them next to the adapter a task would use, for `--backend gpu:ADAPTER` to be set right.
const SCHEDULER_GPU_VARS: [&str; 5] = [
    "SLURM_LOCALID",
    "SLURM_STEP_GPUS",
    "SLURM_JOB_GPUS",
    "GPU_DEVICE_ORDINAL",
    "CUDA_VISIBLE_DEVICES",
];

/// Prints the machine and its adapters.
pub fn run(args: DevicesArgs) -> anyhow::Result<()> {
    let scheduler: Vec<(&str, String)> = SCHEDULER_GPU_VARS
        .iter()
        .filter_map(|&v| std::env::var(v).ok().map(|value| (v, value)))
        .collect();
    let adapters = list_adapters();
    let auto_gpu = auto_pick(&adapters, true);
    let explicit_gpu = auto_pick(&adapters, false);
    if args.json {
        let value = serde_json::json!({
            "cpu": host::cpu_model(),
            "logical_cores": logical_cores(),
            "os": host::os(),
            "adapters": adapters,
            "auto": auto_gpu.map_or("rayon".to_string(), |i| format!("gpu:{i}")),
            "gpu_default": explicit_gpu,
            "scheduler_gpu_variables": scheduler
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::from(v.as_str())))
                .collect::<serde_json::Map<_, _>>(),
            // NVIDIA adapters: clocks, power and temperature now, through NVML (absent elsewhere).
            "telemetry": adapters
                .iter()
                .filter(|a| !a.software)
                .filter_map(|a| Some((a.index.to_string(), telemetry::describe_now(&a.name)?.into())))
                .collect::<serde_json::Map<_, _>>(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!(
        "CPU: {} ({} logical cores)",
        host::cpu_model(),
        logical_cores()
    );
    println!("OS:  {}", host::os());
    if adapters.is_empty() {
        println!("GPU adapters: none found (install a GPU driver, or Mesa's lavapipe: apt-get install mesa-vulkan-drivers libvulkan1)");
    } else {
        println!("GPU adapters:");
        println!(
            "  {:>5}  {:<40} {:<7} {:<14} driver",
            "index", "name", "backend", "type"
        );
        for a in &adapters {
            let kind = if a.software {
                format!("{} (software)", a.device_type)
            } else {
                a.device_type.clone()
            };
            println!(
                "  {:>5}  {:<40} {:<7} {:<14} {}",
                a.index, a.name, a.backend, kind, a.driver
            );
            // NVIDIA adapters: what NVML says now (nothing without libnvidia-ml).
            if let Some(now) = (!a.software)
                .then(|| telemetry::describe_now(&a.name))
                .flatten()
            {
                println!("         NVML: {now}");
            }
        }
    }
    match auto_gpu {
        Some(i) => println!(
            "--backend auto picks: gpu, adapter {i} ({})",
            adapters[i].name
        ),
        None => println!(
            "--backend auto picks: rayon ({} threads; no hardware GPU adapter)",
            logical_cores()
        ),
    }
    if let Some(i) = explicit_gpu {
        println!(
            "--backend gpu picks:  adapter {i} ({})",
            adapters[i].label()
        );
    }
    if !scheduler.is_empty() {
        let vars: Vec<String> = scheduler.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "scheduler GPU variables: {} (wgpu does not read them: a task uses the adapter \
             named above unless --backend gpu:ADAPTER chooses another; see \"GPUs per task\" in the README)",
            vars.join(" ")
        );
    }
    Ok(())
}
