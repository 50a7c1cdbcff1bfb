//! One open GPU device: its queue, its compiled pipelines, the batch of launches not yet
//! submitted, and a pool of buffers for reuse.
//!
//! Launches are recorded into one command encoder and submitted together when the host needs a
//! result (a download), when new data arrives (an upload), or when the parameter ring is full:
//! a training step is one or a few submissions, not one per op. Every wgpu error is caught
//! (an uncaptured-error handler, a device-lost callback, error scopes around allocations) and
//! returned as a [`GpuError`] naming the adapter, never a panic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::adapters::{self, AdapterSummary};
use super::error::GpuError;
use super::kernels::{Kernel, Params, Precision};
use crate::backend::GpuChoice;

/// Parameter slots in the uniform ring: launches recorded before a submission is forced.
const RING_SLOTS: u64 = 512;

/// A handle on an open GPU device; cheap to clone (all clones share one device).
#[derive(Clone)]
pub struct Gpu {
    pub(crate) ctx: Arc<Context>,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gpu")
            .field("adapter", &self.ctx.summary)
            .finish()
    }
}

/// A compiled kernel and the layout of its bindings.
struct Pipeline {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// Launches recorded but not yet submitted.
struct Batch {
    encoder: Option<wgpu::CommandEncoder>,
    /// The uniform buffer holding each recorded launch's [`Params`], one aligned slot each.
    ring: wgpu::Buffer,
    /// Slots of `ring` used since the last submission.
    used: u64,
}

pub(crate) struct Context {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    pub(crate) summary: AdapterSummary,
    /// What the user asked for (`gpu`, `gpu:N`, `cuda`).
    pub(crate) choice: GpuChoice,
    /// The first error wgpu reported outside a scope, or the loss of the device.
    failure: Arc<Mutex<Option<GpuError>>>,
    pipelines: Mutex<HashMap<(Kernel, Precision), Arc<Pipeline>>>,
    batch: Mutex<Batch>,
    /// Free buffers by size in bytes.
    pool: Mutex<HashMap<u64, Vec<wgpu::Buffer>>>,
    slot_size: u64,
}

/// Locks `m`, recovering the data if another thread panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The devices opened by this process, by choice: each is opened (and its kernels compiled) once.
fn opened() -> &'static Mutex<HashMap<GpuChoice, Gpu>> {
    static OPENED: OnceLock<Mutex<HashMap<GpuChoice, Gpu>>> = OnceLock::new();
    OPENED.get_or_init(Default::default)
}

impl Gpu {
    /// The device `choice` selects, opened on first use and shared by the whole process after.
    pub fn open(choice: GpuChoice) -> Result<Gpu, GpuError> {
        let mut opened = lock(opened());
        if let Some(gpu) = opened.get(&choice) {
            return Ok(gpu.clone());
        }
        let gpu = Self::open_new(choice)?;
        opened.insert(choice, gpu.clone());
        Ok(gpu)
    }

    fn open_new(choice: GpuChoice) -> Result<Gpu, GpuError> {
        let instance = adapters::instance();
        let (adapter, summary) = adapters::select(adapters::enumerate(&instance), choice)?;
        let features = if summary.f64 {
            wgpu::Features::SHADER_F64
        } else {
            wgpu::Features::empty()
        };
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("savoir"),
            required_features: features,
            required_limits: adapter.limits(),
            ..Default::default()
        };
        let (device, queue) =
            pollster::block_on(adapter.request_device(&descriptor)).map_err(|e| {
                GpuError::Open {
                    adapter: summary.name.clone(),
                    reason: first_line(&e.to_string()),
                }
            })?;

        let failure = Arc::new(Mutex::new(None));
        let name = summary.name.clone();
        let slot = Arc::clone(&failure);
        device.on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
            lock(&slot).get_or_insert(from_wgpu(&name, "a launch", &error));
        }));
        let name = summary.name.clone();
        let slot = Arc::clone(&failure);
        device.set_device_lost_callback(move |_reason, message| {
            lock(&slot).get_or_insert(GpuError::Lost {
                adapter: name.clone(),
                reason: first_line(&message),
            });
        });

        let slot_size = u64::from(device.limits().min_uniform_buffer_offset_alignment).max(256);
        let ring = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params ring"),
            size: slot_size * RING_SLOTS,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Gpu {
            ctx: Arc::new(Context {
                device,
                queue,
                summary,
                choice,
                failure,
                pipelines: Mutex::default(),
                batch: Mutex::new(Batch {
                    encoder: None,
                    ring,
                    used: 0,
                }),
                pool: Mutex::default(),
                slot_size,
            }),
        })
    }

    /// The adapter this device runs on.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.ctx.summary
    }

    /// Waits until every recorded launch has run; fails if any of them failed.
    pub fn synchronize(&self) -> Result<(), GpuError> {
        self.ctx.submit()?;
        self.ctx.wait()
    }
}

impl Context {
    /// Fails with the first error wgpu reported since the device opened, if any.
    pub(crate) fn check(&self) -> Result<(), GpuError> {
        match lock(&self.failure).as_ref() {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// The pipeline of `kernel` at `precision`, compiled on first use.
    fn pipeline(&self, kernel: Kernel, precision: Precision) -> Result<Arc<Pipeline>, GpuError> {
        if let Some(p) = lock(&self.pipelines).get(&(kernel, precision)) {
            return Ok(Arc::clone(p));
        }
        if precision == Precision::F64 && !self.summary.f64 {
            return Err(GpuError::NoF64 {
                adapter: self.summary.name.clone(),
            });
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel.entry),
                source: wgpu::ShaderSource::Wgsl(kernel.family.module(precision).into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel.entry),
                layout: None,
                module: &module,
                entry_point: Some(kernel.entry),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(from_wgpu(&self.summary.name, kernel.entry, &error));
        }
        let layout = pipeline.get_bind_group_layout(0);
        let compiled = Arc::new(Pipeline { pipeline, layout });
        lock(&self.pipelines).insert((kernel, precision), Arc::clone(&compiled));
        Ok(compiled)
    }

    /// Records one launch of `kernel` over `groups` workgroups, with `params` at binding 0 and
    /// each `(binding, buffer)` pair bound whole. An empty grid records nothing.
    pub(crate) fn launch(
        &self,
        kernel: Kernel,
        precision: Precision,
        params: Params,
        buffers: &[(u32, &wgpu::Buffer)],
        groups: [u32; 3],
    ) -> Result<(), GpuError> {
        self.check()?;
        if groups.contains(&0) {
            return Ok(());
        }
        let max = self.device.limits().max_compute_workgroups_per_dimension;
        if groups.iter().any(|&g| g > max) {
            return Err(GpuError::Shape {
                op: kernel.entry,
                detail: format!("{groups:?} workgroups exceed the device's {max} per dimension"),
            });
        }
        let pipeline = self.pipeline(kernel, precision)?;
        let mut batch = lock(&self.batch);
        if batch.used == RING_SLOTS {
            self.submit_locked(&mut batch);
        }
        let offset = batch.used * self.slot_size;
        batch.used += 1;
        self.queue
            .write_buffer(&batch.ring, offset, bytemuck::bytes_of(&params));

        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &batch.ring,
                offset,
                size: wgpu::BufferSize::new(std::mem::size_of::<Params>() as u64),
            }),
        }];
        entries.extend(
            buffers
                .iter()
                .map(|&(binding, buffer)| wgpu::BindGroupEntry {
                    binding,
                    resource: buffer.as_entire_binding(),
                }),
        );
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(kernel.entry),
            layout: &pipeline.layout,
            entries: &entries,
        });
        let device = &self.device;
        let encoder = batch.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(kernel.entry),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        }
        drop(batch);
        self.check()
    }

    /// Records a copy of `bytes` bytes from `src` to `dst` after the launches already recorded.
    pub(crate) fn copy(
        &self,
        src: &wgpu::Buffer,
        dst: &wgpu::Buffer,
        bytes: u64,
    ) -> Result<(), GpuError> {
        self.check()?;
        let mut batch = lock(&self.batch);
        let device = &self.device;
        let encoder = batch.encoder.get_or_insert_with(|| {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
        });
        encoder.copy_buffer_to_buffer(src, 0, dst, 0, bytes);
        drop(batch);
        self.check()
    }

    /// Submits the recorded launches (if any).
    pub(crate) fn submit(&self) -> Result<(), GpuError> {
        self.submit_locked(&mut lock(&self.batch));
        self.check()
    }

    fn submit_locked(&self, batch: &mut Batch) {
        if let Some(encoder) = batch.encoder.take() {
            self.queue.submit([encoder.finish()]);
        }
        batch.used = 0;
    }

    /// Blocks until the queue is idle.
    pub(crate) fn wait(&self) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Lost {
                adapter: self.summary.name.clone(),
                reason: first_line(&e.to_string()),
            })?;
        self.check()
    }

    /// A storage buffer of exactly `bytes` bytes (a multiple of 4, at least 4), from the pool
    /// when one is free; its contents are unspecified.
    pub(crate) fn buffer(&self, bytes: u64) -> Result<wgpu::Buffer, GpuError> {
        if let Some(buffer) = lock(&self.pool).get_mut(&bytes).and_then(Vec::pop) {
            return Ok(buffer);
        }
        let limits = self.device.limits();
        let too_big =
            bytes > limits.max_buffer_size || bytes > limits.max_storage_buffer_binding_size;
        let out_of_memory = || GpuError::OutOfMemory {
            adapter: self.summary.name.clone(),
            bytes,
        };
        if too_big {
            return Err(out_of_memory());
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        match pollster::block_on(scope.pop()) {
            Some(_) => Err(out_of_memory()),
            None => Ok(buffer),
        }
    }

    /// Gives a buffer back to the pool.
    pub(crate) fn recycle(&self, buffer: wgpu::Buffer) {
        lock(&self.pool)
            .entry(buffer.size())
            .or_default()
            .push(buffer);
    }

    /// Reads `bytes` bytes of `buffer` back to the host, after every recorded launch.
    pub(crate) fn read(&self, buffer: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>, GpuError> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("download"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.copy(buffer, &staging, bytes)?;
        self.submit()?;
        let (send, receive) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |result| {
            let _ = send.send(result);
        });
        self.wait()?;
        let lost = || GpuError::Lost {
            adapter: self.summary.name.clone(),
            reason: "a download could not be mapped".into(),
        };
        receive.recv().map_err(|_| lost())?.map_err(|_| lost())?;
        let bytes = staging.get_mapped_range(..).map_err(|_| lost())?.to_vec();
        staging.unmap();
        Ok(bytes)
    }

    /// Writes `data` at the start of `buffer`, after every launch recorded so far.
    pub(crate) fn write(&self, buffer: &wgpu::Buffer, data: &[u8]) -> Result<(), GpuError> {
        // The queue runs writes before the next submission: submit what reads the old contents first.
        self.submit()?;
        self.queue.write_buffer(buffer, 0, data);
        self.check()
    }
}

/// A wgpu error as a [`GpuError`] naming the adapter and the kernel.
fn from_wgpu(adapter: &str, kernel: &str, error: &wgpu::Error) -> GpuError {
    match error {
        wgpu::Error::OutOfMemory { .. } => GpuError::OutOfMemory {
            adapter: adapter.to_string(),
            bytes: 0,
        },
        wgpu::Error::Validation { description, .. } | wgpu::Error::Internal { description, .. } => {
            GpuError::Rejected {
                adapter: adapter.to_string(),
                kernel: kernel.to_string(),
                message: one_line(description),
            }
        }
    }
}

/// A multi-line message on one line (lines joined by ` | `).
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" | ")
}

/// The first non-empty line of a driver message.
fn first_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no detail")
        .to_string()
}
