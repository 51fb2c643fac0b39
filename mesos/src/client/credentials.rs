//! The framework's principal and secret, from Spark's keys: HTTP basic authentication to the
//! master, and `FrameworkInfo.principal`.

use std::fmt;
use std::path::Path;

use crate::{Error, Result};

/// A principal, and its secret when the master authenticates frameworks.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `spark.mesos.principal`: the basic-auth user and `FrameworkInfo.principal`.
    pub principal: String,
    /// `spark.mesos.secret`: the basic-auth password; without one, no `Authorization` is sent.
    pub secret: Option<String>,
}

impl fmt::Debug for Credentials {
    // The secret is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("principal", &self.principal)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Credentials {
    /// Spark's `MesosSchedulerUtils.buildCredentials`, read through `conf` (Spark keys) and
    /// `env` (environment variables): for each of principal and secret, the first of
    /// `spark.mesos.<x>`, `SPARK_MESOS_<X>`, the contents of the file `spark.mesos.<x>.file`,
    /// of the file `SPARK_MESOS_<X>_FILE`. `None` without a principal; a secret without a
    /// principal is an error, as in Spark.
    pub fn from_spark_conf(
        conf: impl Fn(&str) -> Option<String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>> {
        let principal = lookup(&conf, &env, "principal", "PRINCIPAL")?;
        let secret = lookup(&conf, &env, "secret", "SECRET")?;
        match (principal, secret) {
            (Some(principal), secret) => Ok(Some(Self { principal, secret })),
            (None, Some(_)) => Err(Error::SecretWithoutPrincipal),
            (None, None) => Ok(None),
        }
    }
}

fn lookup(
    conf: &impl Fn(&str) -> Option<String>,
    env: &impl Fn(&str) -> Option<String>,
    key: &str,
    var: &str,
) -> Result<Option<String>> {
    if let Some(value) =
        conf(&format!("spark.mesos.{key}")).or_else(|| env(&format!("SPARK_MESOS_{var}")))
    {
        return Ok(Some(value));
    }
    let file = conf(&format!("spark.mesos.{key}.file"))
        .or_else(|| env(&format!("SPARK_MESOS_{var}_FILE")));
    let Some(file) = file else { return Ok(None) };
    // Spark reads the whole file as UTF-8, untrimmed.
    std::fs::read_to_string(Path::new(&file))
        .map(Some)
        .map_err(|source| Error::CredentialFile { path: file, source })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(conf: &[(&str, &str)], env: &[(&str, &str)]) -> Result<Option<Credentials>> {
        let conf: HashMap<String, String> =
            conf.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let env: HashMap<String, String> =
            env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Credentials::from_spark_conf(|k| conf.get(k).cloned(), |k| env.get(k).cloned())
    }

    fn creds(principal: &str, secret: Option<&str>) -> Option<Credentials> {
        Some(Credentials { principal: principal.to_owned(), secret: secret.map(str::to_owned) })
    }

    #[test]
    fn keys_win_over_environment_then_files() {
        let dir = std::env::temp_dir().join(format!("mesos-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let secret_file = dir.join("secret");
        std::fs::write(&secret_file, "from-file\n").ok();
        let secret_path = secret_file.to_string_lossy().into_owned();

        assert_eq!(from(&[], &[]).ok(), Some(None));
        assert_eq!(from(&[("spark.mesos.principal", "p")], &[]).ok(), Some(creds("p", None)));
        let both = from(
            &[("spark.mesos.principal", "p"), ("spark.mesos.secret.file", &secret_path)],
            &[("SPARK_MESOS_PRINCIPAL", "env-p")],
        );
        assert_eq!(both.ok(), Some(creds("p", Some("from-file\n"))));
        let env = from(&[], &[("SPARK_MESOS_PRINCIPAL", "env-p"), ("SPARK_MESOS_SECRET", "s")]);
        assert_eq!(env.ok(), Some(creds("env-p", Some("s"))));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_secret_needs_a_principal_and_files_must_exist() {
        assert!(matches!(
            from(&[("spark.mesos.secret", "s")], &[]),
            Err(Error::SecretWithoutPrincipal)
        ));
        let missing = from(&[("spark.mesos.principal.file", "/nonexistent/principal")], &[]);
        assert!(matches!(missing, Err(Error::CredentialFile { .. })));
    }
}
