# Read by every regional stack (terraform/workload, data "terraform_remote_state" "global") and the local stack.

output "home_region" {
  description = "The environment's home region (regions[0]): every write of the target list happens there."
  value       = local.home_region
}

output "regions" {
  description = "The environment's regions, the home region first."
  value       = var.regions
}

output "quorum" {
  description = "Regions that must see a target down for the verdict down: var.quorum, or a majority (floor(n/2)+1) when null."
  value       = local.quorum
}

output "urls_table_name" {
  description = "Name of the global target table (the same in every region)."
  value       = aws_dynamodb_table.urls.name
}

output "checks_table_name" {
  description = "Name of the global checks table (the same in every region)."
  value       = aws_dynamodb_table.checks.name
}

output "urls_table_arn" {
  description = "ARN of the target table in the home region (a replica's ARN names its own region)."
  value       = aws_dynamodb_table.urls.arn
}

output "checks_table_arn" {
  description = "ARN of the checks table in the home region (a replica's ARN names its own region)."
  value       = aws_dynamodb_table.checks.arn
}

output "urls_table_stream_arn" {
  description = "Stream of the target table in the home region (NEW_AND_OLD_IMAGES): what replicates it."
  value       = aws_dynamodb_table.urls.stream_arn
}

output "checks_table_stream_arn" {
  description = "Stream of the checks table in the home region (NEW_AND_OLD_IMAGES): what replicates it."
  value       = aws_dynamodb_table.checks.stream_arn
}
