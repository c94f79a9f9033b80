//! Command-line arguments, parsed into plain structs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrets_core::export::{swarm::Docker, Destination, ExportRequest};
use secrets_core::keys::AgeKeys;
use secrets_core::secure_file::{Owner, OwnerError, WriteOptions};
use secrets_core::stack::Stack;

/// Generate, write, rotate, check, audit and export the secrets of
/// self-hosted Docker stacks.
#[derive(Debug, Parser)]
#[command(name = "secrets", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Colour in findings: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        global = true
    )]
    pub color: ColorWhen,
    /// No notes on stderr, for scripts; errors and warnings still go there.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a complete .env for a manifest or catalog components to stdout.
    ///
    /// Stdout must be a pipe, this session's terminal, /dev/null or a new
    /// file (replaced by a new 0600 file); a FIFO on disk, a socket, a
    /// device or another user's pipe is refused before any value is drawn.
    Generate(GenerateArgs),
    /// List the built-in components and the kinds of secret.
    Catalog(CatalogArgs),
    /// Write a manifest describing an existing .env.example.
    Init(InitArgs),
    /// Create or complete a .env at mode 0600, owned by a service user.
    Write(WriteArgs),
    /// Regenerate keys in a .env with every dependent, atomically.
    Rotate(RotateArgs),
    /// Validate a .env against its manifest and the kind rules.
    Check(CheckArgs),
    /// The pre-deploy gate: find secret files and check how they are kept.
    Audit(AuditArgs),
    /// Export to Docker Swarm, Compose file secrets or Kubernetes.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Hash a password read from stdin.
    #[command(subcommand)]
    Hash(HashCommand),
    /// Encrypt a .env with age to public keys (age or SSH).
    Encrypt(EncryptArgs),
    /// Decrypt an age-encrypted .env to stdout.
    ///
    /// Stdout is judged as for `generate`, before anything is decrypted.
    Decrypt(DecryptArgs),
    /// Edit an age-encrypted .env in $EDITOR and encrypt it again.
    Edit(EditArgs),
    /// Run a command with the variables of a .env (or .env.age) added to its environment.
    Run(RunArgs),
    /// Set one variable of a .env to a value read from stdin (never argv).
    Set(SetArgs),
    /// Print one variable's value (not to a terminal unless asked).
    Get(GetArgs),
    /// Print the completion script of a shell.
    Completions(CompletionsArgs),
    /// Write the man pages of secrets and each subcommand.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory for the pages (secrets.1, secrets-rotate.1, ...), created if missing (its parent must exist; in another user's directory it is made as that user; where a group or others could rename it, make it yourself).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum HashCommand {
    /// The PostgreSQL SCRAM-SHA-256 verifier of the password on stdin.
    Scram(ScramArgs),
}

#[derive(Debug, Args)]
pub struct ScramArgs {
    /// PBKDF2 iterations.
    #[arg(long, default_value_t = 4096)]
    pub iterations: u32,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Create versioned swarm secrets with the docker CLI (values on stdin).
    Swarm(SwarmArgs),
    /// Write one private file per secret for compose `secrets: file:`.
    Compose(ComposeArgs),
    /// Print or write a Kubernetes v1 Secret manifest.
    K8s(K8sArgs),
}

impl ExportCommand {
    /// The `.env` to export and its keys.
    pub fn source(&self) -> &ExportSource {
        match self {
            ExportCommand::Swarm(a) => &a.source,
            ExportCommand::Compose(a) => &a.source,
            ExportCommand::K8s(a) => &a.source,
        }
    }

    /// The library's request.
    pub fn request<'a>(&self, stack: Option<&'a Stack>) -> Result<ExportRequest<'a>, OwnerError> {
        let source = self.source();
        let mut request = ExportRequest::new(stack, &source.env, self.destination()?);
        request.keys = source.keys.clone();
        request.age = AgeKeys {
            identity_files: source.identity.identities.clone(),
            ..AgeKeys::default()
        };
        request.dry_run = match self {
            ExportCommand::Swarm(a) => a.dry_run,
            ExportCommand::Compose(a) => a.dry_run,
            ExportCommand::K8s(a) => a.dry_run,
        };
        Ok(request)
    }

    fn destination(&self) -> Result<Destination, OwnerError> {
        let wait = |seconds| std::time::Duration::from_secs(seconds);
        Ok(match self {
            ExportCommand::Swarm(a) => Destination::Swarm {
                docker: Docker::default(),
                prefix: a.prefix.clone(),
                services: a.services.clone(),
                prune: a.prune,
                dry_run: a.dry_run,
                uid: a.uid,
                gid: a.gid,
            },
            ExportCommand::Compose(a) => {
                let owner = a.owner.as_deref().map(Owner::parse).transpose()?;
                let options = a.mode.options().with_lock_wait(wait(a.wait));
                let (dir, options) = (a.dir.clone(), options.with_owner(owner));
                Destination::Compose { dir, options }
            }
            ExportCommand::K8s(a) => {
                let options = WriteOptions::default().with_lock_wait(wait(a.wait));
                let out = a.out.clone().map(|path| (path, options));
                let (name, namespace) = (a.name.clone(), a.namespace.clone());
                Destination::K8s {
                    name,
                    namespace,
                    out,
                }
            }
        })
    }
}

/// The .env to export and which of its keys.
#[derive(Debug, Args)]
pub struct ExportSource {
    /// The .env file to export.
    #[arg(long = "env", value_name = "PATH", default_value = ".env")]
    pub env: PathBuf,
    /// The template whose keys the file must have (default: the
    /// .env.example beside it, when there is one).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Keys to export (default: every secret variable).
    #[arg(value_name = "KEY")]
    pub keys: Vec<String>,
    /// Output format: text, or the JSON report (schema: secrets-cli/schemas/export.schema.json).
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextFormat,
}

#[derive(Debug, Args)]
pub struct SwarmArgs {
    #[command(flatten)]
    pub source: ExportSource,
    /// Secret name prefix and stack label (default: the stack's name).
    #[arg(long, value_name = "NAME")]
    pub prefix: Option<String>,
    /// Rewire this service to the new versions (repeatable).
    #[arg(long = "service", value_name = "SVC")]
    pub services: Vec<String>,
    /// Remove this stack's older versions that no service uses.
    #[arg(long)]
    pub prune: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// uid of the secret files inside the containers.
    #[arg(long)]
    pub uid: Option<u32>,
    /// gid of the secret files inside the containers.
    #[arg(long)]
    pub gid: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ComposeArgs {
    #[command(flatten)]
    pub source: ExportSource,
    /// Directory for the secret files.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Owner of the files: the container user's UID or UID:GID (compose ignores uid/gid/mode).
    #[arg(long, value_name = "UID[:GID]")]
    pub owner: Option<String>,
    /// File mode.
    #[arg(long, value_enum, default_value = "400")]
    pub mode: FileMode,
    /// Seconds to wait for another writer's lock on the directory before
    /// giving up with exit code 2.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub wait: u64,
    /// Print which files would be written, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct K8sArgs {
    #[command(flatten)]
    pub source: ExportSource,
    /// metadata.name of the Secret.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// metadata.namespace of the Secret.
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Write the manifest here at 0600 instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Seconds to wait for another writer's lock on the directory before
    /// giving up with exit code 2.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub wait: u64,
    /// With --out: print whether the file would be written, and write nothing.
    #[arg(long, requires = "out")]
    pub dry_run: bool,
}

/// Where the variables come from.
#[derive(Debug, Args)]
pub struct StackArgs {
    /// The manifest (default ./secrets.toml when --with is not given).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Catalog components to include, comma-separated.
    #[arg(long = "with", value_name = "COMP[,COMP...]", value_delimiter = ',')]
    pub with: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvFormat {
    Env,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "env")]
    pub format: EnvFormat,
    /// Print only the age ciphertext, encrypted to this age or SSH public key (repeatable).
    #[arg(long = "encrypt-to", value_name = "RECIPIENT")]
    pub encrypt_to: Vec<String>,
    /// With --encrypt-to: ASCII-armored ciphertext.
    #[arg(long, requires = "encrypt_to")]
    pub armor: bool,
}

#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Output format (JSON schema: secrets-cli/schemas/catalog.schema.json).
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileMode {
    /// Owner read and write.
    #[value(name = "600")]
    M600,
    /// Owner read only.
    #[value(name = "400")]
    M400,
    /// Also readable by the file's group: only for deployments where a
    /// container's group must read the file.
    #[value(name = "640")]
    M640,
    /// Read only, by the owner and the file's group.
    #[value(name = "440")]
    M440,
}

impl FileMode {
    /// The mode bits.
    pub fn bits(self) -> u32 {
        match self {
            FileMode::M600 => 0o600,
            FileMode::M400 => 0o400,
            FileMode::M640 => 0o640,
            FileMode::M440 => 0o440,
        }
    }

    /// Write options with this mode (group-readable ones through the
    /// library's explicit option).
    pub fn options(self) -> WriteOptions {
        match self {
            FileMode::M600 | FileMode::M400 => WriteOptions::private(self == FileMode::M400),
            FileMode::M640 | FileMode::M440 => WriteOptions::default()
                .group_readable(self.bits())
                .expect("0640 and 0440 are allowed"),
        }
    }
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    /// The .env file to create or complete.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    #[command(flatten)]
    pub stack: StackArgs,
    /// Owner of the file: USER, USER:GROUP, UID or UID:GID (needs root or
    /// CAP_CHOWN). An existing file must already belong to that user.
    #[arg(long, value_name = "USER[:GROUP]")]
    pub owner: Option<String>,
    /// Create the --owner user when it does not exist: a system account
    /// with its own group, no home and no login shell (useradd --system).
    #[arg(long, requires = "owner")]
    pub create_user: bool,
    /// File mode.
    #[arg(long, value_enum, default_value = "600")]
    pub mode: FileMode,
    /// Create a missing parent directory (mode 0700, same owner).
    #[arg(long)]
    pub mkdir: bool,
    /// Write to the target of a symlink at PATH instead of refusing (only a
    /// link in a directory that nobody but root and you can change).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Generate the secrets that still hold a placeholder or a published
    /// default. Only before the stack's first start: PostgreSQL, MinIO and
    /// Grafana read their first credentials once, so later use `rotate`.
    #[arg(long)]
    pub replace_placeholders: bool,
    /// Seconds to wait for another writer's lock on the directory before
    /// giving up with exit code 2.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub wait: u64,
    /// Take the content from this age-encrypted .env (decrypted in memory
    /// with -i): it replaces the file's content, completed by the manifest
    /// when there is one.
    #[arg(long, value_name = "FILE.age", requires = "identities")]
    pub from: Option<PathBuf>,
    /// Lay a new file out like this template (`secrets init --from`): its
    /// comments, order and settings as they are, secrets generated in
    /// place, externals left empty. An existing file is completed as usual.
    #[arg(long, value_name = "FILE", conflicts_with = "from")]
    pub template: Option<PathBuf>,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Print what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format: text, or the JSON report (schema: secrets-cli/schemas/write.schema.json).
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextFormat,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The env template the stack ships (.env.example).
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// A compose file: the strongest evidence (what each service receives,
    /// through which variable, from which image); variables it reads that
    /// the template lacks are added, and template variables no service
    /// reads are reported (repeatable).
    #[arg(long, value_name = "FILE")]
    pub compose: Vec<PathBuf>,
    /// Write the manifest here (a new file, mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The stack's name (default: the compose file's `name:`, else the
    /// directory of the first compose file, else the template's directory).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Seconds to wait for another writer's lock on the directory before
    /// giving up with exit code 2.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub wait: u64,
    /// With --out: say whether the manifest would be written, and write nothing.
    #[arg(long, requires = "out")]
    pub dry_run: bool,
    /// Output format: text, or the JSON report (schema: secrets-cli/schemas/init.schema.json).
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextFormat,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The .env file to edit.
    #[arg(long = "env", value_name = "PATH", default_value = ".env")]
    pub env: PathBuf,
    /// The manifest (default ./secrets.toml when present; without one, kinds
    /// are inferred from the current values).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Catalog components that describe the file's variables.
    #[arg(long = "with", value_name = "COMP[,COMP...]", value_delimiter = ',')]
    pub with: Vec<String>,
    /// Keys to rotate.
    #[arg(value_name = "KEY")]
    pub keys: Vec<String>,
    /// Rotate every generated key of the manifest.
    #[arg(long)]
    pub all: bool,
    /// Rotate the keys older than their rotate_after.
    #[arg(long)]
    pub due: bool,
    /// A compose file of the project that reads the .env (repeatable, as
    /// `docker compose -f`): the restart hint names its services that read
    /// the rotated values; `--apply command` runs in its services.
    #[arg(long, value_name = "FILE", required_if_eq("apply", "command"))]
    pub compose: Vec<PathBuf>,
    /// Once the file is committed, recreate exactly the --compose services
    /// that read the rotated values (`up -d --no-deps --force-recreate`);
    /// exit 3 when that fails (the file keeps the new values).
    #[arg(long, requires = "compose")]
    pub restart: bool,
    /// Keep each old value where its consumer reads it (the catalog's
    /// previous_keys, e.g. Laravel's APP_PREVIOUS_KEYS), else under NAME_PREVIOUS.
    #[arg(long)]
    pub keep_previous: bool,
    /// Rotate named `stored` values without a live step: you change the
    /// server's copy to the new value yourself before its readers restart.
    #[arg(long)]
    pub server_changed: bool,
    /// Rotate named `data-key` values even though the data they encrypt
    /// becomes unreadable (re-encrypt or export it first).
    #[arg(long)]
    pub accept_data_loss: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also change the passwords on the live server: PostgreSQL roles
    /// (`postgres_role`), MariaDB/MySQL accounts (`mysql_user`), Redis ACL users,
    /// or `command`: the manifest's `live_command` in its --compose service.
    #[arg(long, value_enum, value_name = "TARGET")]
    pub apply: Option<ApplyTarget>,
    /// Admin connection URL without a password (argv is visible to every
    /// local user), or `-` to read the whole URL from stdin. A unix socket
    /// is used only when root, you, or the URL's `requirepeer=ACCOUNT`
    /// listens on it.
    #[arg(long, value_name = "URL")]
    pub admin_url: Option<String>,
    /// Take the admin connection URL from this variable of the .env.
    #[arg(long, value_name = "NAME")]
    pub admin_url_var: Option<String>,
    /// Complete or undo a database rotation that a journal shows was interrupted.
    #[arg(long, conflicts_with_all = ["keys", "all", "due", "dry_run", "keep_previous", "server_changed", "accept_data_loss"])]
    pub resume: bool,
    /// Seconds to wait for another writer's lock on the directory before
    /// giving up with exit code 2.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub wait: u64,
    #[command(flatten)]
    pub identity: IdentityArgs,
    #[command(flatten)]
    pub recipients: RecipientArgs,
    /// Output format: text, or the JSON report (schema: secrets-cli/schemas/rotate.schema.json).
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyTarget {
    Postgres,
    Mysql,
    Redis,
    /// The manifest's `live_command`, run in its --compose service.
    Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The .env file to check.
    #[arg(long = "env", value_name = "PATH", default_value = ".env")]
    pub env: PathBuf,
    /// The template whose keys the file must have (default: the
    /// .env.example beside it, when there is one).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextFormat,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value = "medium")]
    pub fail_on: FailOn,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Directories or files to audit (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The owner secret files must have: USER, USER:GROUP, UID or UID:GID.
    #[arg(long, value_name = "USER[:GROUP]")]
    pub owner: Option<String>,
    /// A manifest (repeatable): every check rule also runs on each .env it
    /// describes (its `[stack] env_files`; the .env beside it by default).
    #[arg(long, value_name = "FILE")]
    pub manifest: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value = "medium")]
    pub fail_on: FailOn,
    /// Apply the safe fixes (chmod, chown, .gitignore and .dockerignore lines).
    #[arg(long)]
    pub fix: bool,
    /// With --fix: print each command the fixes would run, change nothing.
    #[arg(long, requires = "fix")]
    pub dry_run: bool,
    /// Accepted findings (TOML): they are not reported and do not fail the
    /// gate; entries nothing matches are reported as stale. Default:
    /// .secrets-baseline.toml in the working directory, when present.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the current findings to the baseline (--baseline, or
    /// .secrets-baseline.toml), keeping the reasons of entries that still
    /// match; exits 0.
    #[arg(long)]
    pub update_baseline: bool,
    /// List the findings the baseline accepts, with their reasons.
    #[arg(long)]
    pub show_accepted: bool,
}

/// Keys that decrypt an age-encrypted .env.
#[derive(Debug, Default, Args)]
pub struct IdentityArgs {
    /// An age identity file or an unencrypted SSH private key (ed25519,
    /// RSA) to decrypt an age-encrypted .env with (repeatable).
    #[arg(short = 'i', long = "identity", value_name = "FILE")]
    pub identities: Vec<PathBuf>,
}

/// Public keys to encrypt to; when none is given, the manifest's
/// `[stack] recipients` and `recipients_file`.
#[derive(Debug, Default, Args)]
pub struct RecipientArgs {
    /// Encrypt to this age (age1...) or SSH (ssh-ed25519, ssh-rsa) public key (repeatable).
    #[arg(short = 'r', long = "recipient", value_name = "RECIPIENT")]
    pub recipients: Vec<String>,
    /// Encrypt to the recipients of this file, one per line, such as
    /// /etc/ssh/ssh_host_ed25519_key.pub (repeatable).
    #[arg(short = 'R', long = "recipients-file", value_name = "FILE")]
    pub recipients_files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// The plaintext .env to encrypt.
    #[arg(long = "env", value_name = "PATH")]
    pub env: PathBuf,
    /// Write the ciphertext here (mode 0600, atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub recipients: RecipientArgs,
    /// ASCII-armored ciphertext (`-----BEGIN AGE ENCRYPTED FILE-----`).
    #[arg(long)]
    pub armor: bool,
    #[command(flatten)]
    pub stack: StackArgs,
    /// Seconds to wait for another writer's lock on the directory before
    /// giving up with exit code 2.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub wait: u64,
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// The age-encrypted .env.
    #[arg(long = "env", value_name = "PATH")]
    pub env: PathBuf,
    #[command(flatten)]
    pub identity: IdentityArgs,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The age-encrypted .env to edit.
    #[arg(value_name = "FILE.age")]
    pub file: PathBuf,
    #[command(flatten)]
    pub identity: IdentityArgs,
    #[command(flatten)]
    pub recipients: RecipientArgs,
    #[command(flatten)]
    pub stack: StackArgs,
    /// Seconds to wait for another writer's lock on the directory before
    /// giving up with exit code 2 (the lock is held while you edit).
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub wait: u64,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The .env or age-encrypted .env whose variables the command gets.
    #[arg(long = "env", value_name = "PATH")]
    pub env: PathBuf,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Only these variables, comma-separated (each must be in the file).
    #[arg(long, value_name = "KEY[,KEY...]", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Let the file's values replace variables already set in the
    /// environment (by default the caller's value wins, as dotenv tools do).
    #[arg(long = "override", visible_alias = "overload")]
    pub override_environment: bool,
    /// The command and its arguments (values are never put in them).
    #[arg(value_name = "CMD", trailing_var_arg = true, allow_hyphen_values = true, required = true, num_args = 1..)]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The variable. Its value is read from stdin: one line (a final newline
    /// is dropped), or typed at a prompt that does not echo on a terminal.
    #[arg(value_name = "KEY")]
    pub key: String,
    /// The .env file to change (created when missing).
    #[arg(long = "env", value_name = "PATH", default_value = ".env")]
    pub env: PathBuf,
    #[command(flatten)]
    pub stack: StackArgs,
    /// Owner of a new file: USER, USER:GROUP, UID or UID:GID (an existing
    /// file keeps its owner and mode).
    #[arg(long, value_name = "USER[:GROUP]")]
    pub owner: Option<String>,
    /// Mode of a new file.
    #[arg(long, value_enum, default_value = "600")]
    pub mode: FileMode,
    /// Set a `stored` value (its server keeps a copy): you already changed
    /// the server's copy to this value.
    #[arg(long)]
    pub server_changed: bool,
    /// Set a `data-key` value even though the data it encrypted becomes
    /// unreadable (re-encrypt or export it first).
    #[arg(long)]
    pub accept_data_loss: bool,
    /// Seconds to wait for another writer's lock on the directory before
    /// giving up with exit code 2.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub wait: u64,
    /// Print what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format: text, or the JSON report (schema: secrets-cli/schemas/set.schema.json).
    #[arg(long, value_enum, default_value = "text")]
    pub format: TextFormat,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The variable.
    #[arg(value_name = "KEY")]
    pub key: String,
    /// The .env file to read.
    #[arg(long = "env", value_name = "PATH", default_value = ".env")]
    pub env: PathBuf,
    /// Print the value even when stdout is a terminal (it stays in the
    /// scrollback).
    #[arg(long)]
    pub to_terminal: bool,
}
