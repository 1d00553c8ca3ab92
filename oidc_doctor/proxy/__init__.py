"""oauth2-proxy and Kubeapps knowledge: finding proxies, reading their settings, Helm releases,
provider refresh support, and the authorization-header patch. Pure: no I/O."""
