# TFLint for every module and root (make tflint). Only the terraform ruleset, which is bundled with tflint,
# so it runs offline; there is no AWS ruleset plugin on this project's machines.

config {
  # Inspect calls of local modules (../../modules/...) with the caller's values.
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

# Every variable and output says what it is for, and variables have a concrete type.
rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_typed_variables" {
  enabled = true
}

# snake_case names for resources, data sources, variables, outputs, locals and modules.
rule "terraform_naming_convention" {
  enabled = true
  format  = "snake_case"
}

# main.tf/variables.tf/outputs.tf present, variables and outputs in their files.
rule "terraform_standard_module_structure" {
  enabled = true
}

# `#` comments only.
rule "terraform_comment_syntax" {
  enabled = true
}

rule "terraform_unused_required_providers" {
  enabled = true
}
