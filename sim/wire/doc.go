// Package wire is the sandbox's side of the AWS wire protocols: it decodes
// requests into the SDK's input structs and encodes their outputs and errors
// as the SDK's deserializers expect them, for
//
//   - awsJson 1.0/1.1 (ECS, ECR, CloudWatch Logs, SSM, Application Auto
//     Scaling): json.go;
//   - Smithy RPC v2 CBOR (CloudWatch from the Go SDK): cbor.go;
//   - awsQuery and ec2Query (Auto Scaling, ELBv2, STS, EC2, and CloudWatch
//     from AWS CLI v2): query.go, with the wire names that differ from the
//     Go field names in the generated names.go;
//   - the reflection they share (reflect.go) and the unions and documents
//     requests can carry (unions.go).
//
// It knows nothing of the simulated account: the server in package sim picks
// the protocol from the request and calls Decode*/Query(…).DecodeForm, then
// the matching writer.
package wire

//go:generate go run ./internal/namesgen -o names.go
