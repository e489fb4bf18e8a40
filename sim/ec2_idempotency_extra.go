package sim

// byClientToken returns the version a CreateLaunchTemplateVersion call with
// this idempotency token made, or nil (EC2 answers a repeated call with the
// same token by the same version instead of making another).
func (lt *ec2LaunchTemplate) byClientToken(token string) *ec2LTVersion {
	if token == "" {
		return nil
	}
	for i := range lt.Versions {
		if lt.Versions[i].ClientToken == token {
			return &lt.Versions[i]
		}
	}
	return nil
}
